"""One call's audio over RTP: G.711 in 20 ms frames both ways, on aiortp.

Inbound packets pass aiortp's jitter buffer (reordering, loss concealment) and arrive as
8 kHz 16-bit PCM; RFC 4733 telephone-events arrive as digits. Outbound PCM is queued and sent
on a 20 ms media clock with continuous timestamps and a marker bit on each talkspurt; the
queue can be dropped at once when the caller barges in. Media is symmetric: replies go to
where the peer's packets come from, not only to the address its SDP named — but, as SBCs do,
only the first packet from the SDP's host or the signalling's host (NAT) sets that address:
packets from anywhere else are dropped, so nobody can redirect the bot's side of a call.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Callable, Iterable
from typing import Any

from aiortp import RTPSession
from aiortp.dtmf import DTMF_EVENTS, DtmfReceiver
from aiortp.packet import RtpPacket
from aiortp.port_allocator import PortAllocator

from telephony.sdp import Media

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
# Frames the jitter buffer holds before it releases audio: 40 ms of room for reordering. A
# packet still missing when later ones are there is given up on and concealed at once.
JITTER_PREFETCH = 2
JITTER_CAPACITY = 16
DIGIT_MS = 160
DIGIT_VOLUME = 10  # -10 dBm0, a typical keypad level
EVENT_BYTES = 4  # RFC 4733 §2.3: event, E/R/volume, duration

logger = logging.getLogger(__name__)


class SourceLatch:
    """Which packets are the peer's: the first one from one of `hosts` (the SDP's address,
    the signalling's source) fixes the address; packets from anywhere else are dropped."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self.dropped = 0
        self.reopen(hosts)

    def reopen(self, hosts: Iterable[str]) -> None:
        """Latch anew (a re-INVITE named another address)."""
        self._hosts = set(hosts)
        self.address: tuple[str, int] | None = None

    def admits(self, addr: tuple[str, int]) -> bool:
        if self.address is None and addr[0] in self._hosts:
            self.address = addr
        if addr == self.address:
            return True
        self.dropped += 1
        if self.dropped == 1:
            logger.warning("RTP from %s dropped: the stream is latched to %s", addr, self.address)
        return False


class _EventReceiver(DtmfReceiver):
    """aiortp's digit receiver, minus its ValueError on payloads shorter than an event."""

    def handle_packet(self, packet: RtpPacket) -> None:
        if len(packet.payload) >= EVENT_BYTES:
            super().handle_packet(packet)


class _PacedSession(RTPSession):
    """aiortp's paced session, plus a look at and a way to drop its send queue,
    telephone-events stamped on the media clock (aiortp's own sender stamps them 0), and
    only the latched source's packets let in."""

    latch: SourceLatch | None = None  # set right after binding; nothing is let in before

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dtmf_receiver = _EventReceiver(self._dispatch_dtmf)

    def _handle_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.latch is not None and self.latch.admits(addr):
            super()._handle_rtp(data, addr)

    def queued_frames(self) -> int:
        return self._paced_sender.queue_depth if self._paced_sender is not None else 0

    def drop_queued(self) -> None:
        if self._paced_sender is not None:
            self._paced_sender.discard()

    def media_timestamp(self) -> int:
        assert self._sender is not None
        return self._sender.current_timestamp

    def send_event(self, payload: bytes, timestamp: int, marker: bool) -> None:
        if self._sender is not None and not self._closed:
            self._sender.send_raw(
                self._dtmf_payload_type, payload, timestamp, int(marker), addr=self._remote_addr
            )


class RtpPorts:
    """The configured RTP port range, handed out in RTP/RTCP pairs."""

    def __init__(self, first: int, last: int) -> None:
        self._allocator = PortAllocator((first, last))
        self._taken: set[int] = set()

    @property
    def in_use(self) -> int:
        """Pairs handed out and not given back (a leak shows here)."""
        return len(self._taken)

    async def take(self) -> int:
        try:
            port, _ = await self._allocator.allocate()
        except RuntimeError as exc:
            raise RuntimeError("no free RTP port left in the configured range") from exc
        self._taken.add(port)
        return port

    async def give_back(self, port: int) -> None:
        self._taken.discard(port)
        await self._allocator.release(port)


class RtpStream:
    """Send and receive one call's audio; `on_audio` and `on_dtmf` report what arrives, and
    each of `monitors` is shown every frame that arrives (inbound) or is sent (listen-in)."""

    def __init__(
        self,
        session: _PacedSession,
        port: int,
        ports: RtpPorts,
        media: Media,
        signalling_host: str,
    ) -> None:
        self._session = session
        self._signalling_host = signalling_host
        self._latch = session.latch = SourceLatch({media.remote[0], signalling_host})
        self._ports = ports
        self._pending = b""
        self._closed = False
        self.port = port
        self.media = media
        self.on_audio: Callable[[bytes], None] | None = None
        self.on_dtmf: Callable[[str], None] | None = None
        self.monitors: set[Callable[[bytes, bool], None]] = set()
        session.on_audio = self._audio_arrived
        session.on_dtmf = self._digit_arrived

    @classmethod
    async def open(
        cls, local_ip: str, port: int, ports: RtpPorts, media: Media, *, signalling_host: str
    ) -> RtpStream:
        """Bind `port` (taken from `ports`) and start the media clock towards `media.remote`;
        the stream latches onto packets from the SDP's host or `signalling_host`."""
        session = await _PacedSession.create(
            local_addr=(local_ip, port),
            remote_addr=media.remote,
            payload_type=media.payload_type,
            dtmf_payload_type=media.dtmf_payload_type or 101,
            jitter_capacity=JITTER_CAPACITY,
            jitter_prefetch=JITTER_PREFETCH,
            skip_audio_gaps=True,
            paced=True,
            symmetric_rtp=True,
        )
        assert isinstance(session, _PacedSession)
        return cls(session, port, ports, media, signalling_host)

    def _audio_arrived(self, pcm: bytes, _timestamp: int) -> None:
        for monitor in tuple(self.monitors):
            monitor(pcm, True)
        if self.on_audio is not None:
            self.on_audio(pcm)

    def _digit_arrived(self, digit: str, _duration: int) -> None:
        if self.on_dtmf is not None:
            self.on_dtmf(digit)

    @property
    def queued_ms(self) -> int:
        """Audio accepted by `send` that has not gone out on the wire yet."""
        return self._session.queued_frames() * FRAME_MS

    def send(self, pcm: bytes) -> None:
        """Queue 8 kHz 16-bit PCM; it leaves in 20 ms packets on the media clock."""
        if self._closed or self.media.on_hold:
            return
        data = self._pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        for start in range(0, whole, FRAME_BYTES):
            frame = data[start : start + FRAME_BYTES]
            self._session.send_audio_pcm_auto(frame)
            for monitor in tuple(self.monitors):
                monitor(frame, False)

    def clear(self) -> None:
        """Drop every queued frame (the caller barged in)."""
        self._pending = b""
        self._session.drop_queued()

    async def drain(self) -> None:
        """Wait until everything queued has been sent."""
        if not self._closed:
            await self._session.drain()

    async def send_digit(self, digit: str, duration_ms: int = DIGIT_MS) -> None:
        """Press a key (RFC 4733): one event on the current media timestamp, a packet every
        20 ms with the growing duration, the first one marked, the final one sent three times."""
        code = DTMF_EVENTS.get(digit.upper())
        if code is None or self._closed or self.media.on_hold:
            return
        timestamp = self._session.media_timestamp()
        steps = max(1, duration_ms // FRAME_MS)
        for step in range(1, steps + 1):
            end = step == steps
            flags = (0x80 if end else 0) | DIGIT_VOLUME
            payload = struct.pack("!BBH", code, flags, step * SAMPLE_RATE * FRAME_MS // 1000)
            for _ in range(3 if end else 1):
                self._session.send_event(payload, timestamp, marker=step == 1)
            if not end:
                await asyncio.sleep(FRAME_MS / 1000)

    @property
    def dropped_packets(self) -> int:
        """Packets from sources other than the latched one (hijack attempts, strays)."""
        return self._latch.dropped

    def update(self, media: Media) -> None:
        """A re-INVITE moved the peer or put the call on (or off) hold."""
        self.media = media
        if media.on_hold:
            self.clear()
        else:
            self._session.update_remote(media.remote)
            self._latch.reopen({media.remote[0], self._signalling_host})

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._session.close()
        await self._ports.give_back(self.port)
