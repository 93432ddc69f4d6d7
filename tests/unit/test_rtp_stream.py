"""RtpStream against raw RTP on loopback: jitter, loss, RFC 4733 digits, pacing, barge-in,
hold and symmetric RTP, checked on the packets themselves."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest

from telephony.g711 import ulaw_encode
from telephony.rtp_stream import FRAME_BYTES, RtpPorts, RtpStream
from telephony.sdp import PCMU, Media


def rtp(
    seq: int, payload: bytes, *, pt: int = PCMU, marker: bool = False, ts: int | None = None
) -> bytes:
    timestamp = seq * 160 if ts is None else ts
    return (
        struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq, timestamp, 0x1234) + payload
    )


def frame_of(level: int) -> bytes:
    """20 ms of µ-law at a constant level, so each frame is recognisable after decoding."""
    return ulaw_encode(np.full(160, level, dtype=np.int16))


class Peer:
    """The far end: a plain UDP socket speaking RTP."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def received(self) -> list[bytes]:
        packets = []
        while True:
            try:
                packets.append(self.sock.recv(2048))
            except BlockingIOError:
                return packets


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RtpStream, Peer]]:
    peer = Peer()
    ports = RtpPorts(24000, 24100)
    port = await ports.take()
    stream = await RtpStream.open(
        "127.0.0.1",
        port,
        ports,
        Media(("127.0.0.1", peer.port), PCMU, 101, False),
        signalling_host="127.0.0.1",
    )
    yield stream, peer
    await stream.close()
    peer.sock.close()


async def settle(seconds: float = 0.15) -> None:
    await asyncio.sleep(seconds)


async def until(done: Callable[[], bool], timeout_s: float = 2) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_reordered_packets_come_out_in_order(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    heard: list[int] = []
    stream.on_audio = lambda pcm: heard.append(int(np.frombuffer(pcm, np.int16)[0]))
    levels = {seq: 1000 * seq for seq in range(1, 13)}
    for seq in (1, 2, 4, 3, 5, 7, 6, 8, 9, 10, 11, 12):
        peer.sock.sendto(rtp(seq, frame_of(levels[seq])), ("127.0.0.1", stream.port))
    await settle()
    decoded = [round(level, -3) for level in heard]
    assert decoded[:8] == [1000 * seq for seq in range(1, 9)]


async def test_a_lost_packet_is_concealed(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    heard: list[bytes] = []
    stream.on_audio = heard.append
    for seq in [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]:  # 4 never arrives
        peer.sock.sendto(rtp(seq, frame_of(4000)), ("127.0.0.1", stream.port))
    await settle()
    assert sum(len(pcm) for pcm in heard) >= 8 * FRAME_BYTES  # the gap is filled, not skipped


async def test_rfc4733_digit_is_reported_once(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    digits: list[str] = []
    stream.on_dtmf = digits.append
    event = lambda end, duration: struct.pack("!BBH", 5, (0x80 if end else 0) | 10, duration)  # noqa: E731
    packets = [rtp(1, event(False, 160), pt=101, marker=True, ts=8000)]
    packets += [rtp(2, event(False, 320), pt=101, ts=8000)]
    packets += [rtp(n, event(True, 480), pt=101, ts=8000) for n in (3, 4, 5)]  # end, 3 times
    for packet in packets:
        peer.sock.sendto(packet, ("127.0.0.1", stream.port))
    await settle()
    assert digits == ["5"]


async def test_speech_leaves_paced_with_continuous_timestamps(
    pair: tuple[RtpStream, Peer],
) -> None:
    stream, peer = pair
    tone = (np.sin(np.arange(8000) / 3) * 8000).astype(np.int16).tobytes()  # 1 s
    started = time.monotonic()
    stream.send(tone[: len(tone) // 2])
    await stream.drain()
    await asyncio.sleep(0.2)  # a pause: the next talkspurt is marked
    stream.send(tone[len(tone) // 2 :])
    await stream.drain()
    elapsed = time.monotonic() - started
    await settle(0.05)
    packets = peer.received()
    assert len(packets) == 50
    assert elapsed >= 0.9  # sent on the media clock, not in a burst
    seqs = [struct.unpack("!H", p[2:4])[0] for p in packets]
    stamps = [struct.unpack("!I", p[4:8])[0] for p in packets]
    markers = [bool(p[1] & 0x80) for p in packets]
    assert np.all(np.diff(seqs) % 65536 == 1)
    jumps = np.diff(stamps) % 2**32
    assert list(jumps[:24]) == [160] * 24 and jumps[24] > 160  # the pause advanced the clock
    assert markers[25] and not any(markers[1:25])
    assert all(p[1] & 0x7F == PCMU and len(p) == 12 + 160 for p in packets)


async def test_clear_drops_what_is_not_on_the_wire(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    stream.send(bytes(FRAME_BYTES * 100))  # 2 s queued
    await asyncio.sleep(0.1)
    assert stream.queued_ms > 1500
    stream.clear()
    assert stream.queued_ms == 0
    await settle(0.2)
    assert len(peer.received()) < 15


async def test_on_hold_nothing_is_sent_and_resume_follows_the_peer(
    pair: tuple[RtpStream, Peer],
) -> None:
    stream, peer = pair
    stream.update(Media(("0.0.0.0", 0), PCMU, 101, on_hold=True))
    stream.send(bytes(FRAME_BYTES * 10))
    await settle()
    assert peer.received() == []
    moved = Peer()
    stream.update(Media(("127.0.0.1", moved.port), PCMU, 101, on_hold=False))
    stream.send(bytes(FRAME_BYTES * 5))
    await settle()
    assert len(moved.received()) == 5
    moved.sock.close()


async def test_replies_follow_where_the_peer_sends_from(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    nat = Peer()  # the phone's packets really come from another port (NAT)
    nat.sock.sendto(rtp(1, frame_of(100)), ("127.0.0.1", stream.port))
    await settle()
    stream.send(bytes(FRAME_BYTES * 3))
    await settle()
    assert len(nat.received()) == 3 and peer.received() == []
    nat.sock.close()


async def test_a_key_press_goes_out_as_rfc4733(pair: tuple[RtpStream, Peer]) -> None:
    stream, peer = pair
    stream.send(bytes(FRAME_BYTES * 3))
    await stream.drain()
    await stream.send_digit("7", duration_ms=100)
    await settle(0.05)
    packets = peer.received()
    audio_stamps = [struct.unpack("!I", p[4:8])[0] for p in packets if p[1] & 0x7F == PCMU]
    events = [p for p in packets if p[1] & 0x7F == 101]
    assert len(events) == 4 + 3  # 100 ms: four progress packets, the end one three times
    stamps = {struct.unpack("!I", p[4:8])[0] for p in events}
    # On the media clock: the digit's timestamp follows the audio's, not 0 or a random value.
    gap = stamps.pop() - audio_stamps[-1] if len(stamps) == 1 else -1
    assert gap > 0 and gap % 160 == 0 and gap <= 800
    assert [bool(p[1] & 0x80) for p in events] == [True] + [False] * 6
    fields = [struct.unpack("!BBH", p[12:16]) for p in events]
    assert {code for code, _, _ in fields} == {7}
    assert [duration for _, _, duration in fields] == [160, 320, 480, 640, 800, 800, 800]
    assert [flags >> 7 for _, flags, _ in fields] == [0, 0, 0, 0, 1, 1, 1]


async def test_packets_from_elsewhere_cannot_take_the_stream(
    pair: tuple[RtpStream, Peer],
) -> None:
    stream, peer = pair
    stranger = Peer("127.0.0.2")  # neither the SDP's host nor the signalling's
    stranger.sock.sendto(rtp(1, frame_of(9000)), ("127.0.0.1", stream.port))
    await until(lambda: stream.dropped_packets == 1)  # before the caller: no latch either
    heard: list[bytes] = []
    stream.on_audio = heard.append
    for seq in range(2, 8):  # the caller's stream latches
        peer.sock.sendto(rtp(seq, frame_of(100)), ("127.0.0.1", stream.port))
    await until(lambda: bool(heard))
    intruder = Peer()  # the SDP's host, but not the latched port
    for seq in range(8, 18):
        intruder.sock.sendto(rtp(seq, frame_of(9000)), ("127.0.0.1", stream.port))
        stranger.sock.sendto(rtp(seq, frame_of(9000)), ("127.0.0.1", stream.port))
    await until(lambda: stream.dropped_packets == 21)
    stream.send(bytes(FRAME_BYTES * 3))
    replies: list[bytes] = []

    def three_replies() -> bool:
        replies.extend(peer.received())
        return len(replies) == 3

    await until(three_replies)  # sent to the caller only
    assert intruder.received() == [] and stranger.received() == []
    loud = [pcm for pcm in heard if np.abs(np.frombuffer(pcm, np.int16)).max() > 4000]
    assert loud == []  # none of the intruders' audio reached the call
    intruder.sock.close()
    stranger.sock.close()


async def test_short_telephone_events_are_ignored(
    pair: tuple[RtpStream, Peer], caplog: pytest.LogCaptureFixture
) -> None:
    stream, peer = pair
    digits: list[str] = []
    stream.on_dtmf = digits.append
    short = [b"", b"\x05", b"\x05\x8a", b"\x05\x8a\x01"]  # RFC 4733 events are 4 bytes
    end = struct.pack("!BBH", 7, 0x80 | 10, 480)
    packets = [rtp(n + 1, payload, pt=101, ts=8000) for n, payload in enumerate(short)]
    for packet in [*packets, rtp(5, end, pt=101, ts=16000)]:
        peer.sock.sendto(packet, ("127.0.0.1", stream.port))
    await until(lambda: bool(digits))
    assert digits == ["7"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
