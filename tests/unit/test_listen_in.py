"""Listen-in: both directions of a call mixed into one paced track, and a real WebRTC
listener (aiortc on loopback) that receives the call's audio while sending none."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription

from bot.calls.listen_in import CallAudioTrack, CallMix, ListenIns
from telephony.rtp_stream import FRAME_BYTES


def tone(value: int, frames: int = 1) -> bytes:
    return np.full(FRAME_BYTES // 2 * frames, value, dtype=np.int16).tobytes()


def samples(pcm: bytes) -> np.ndarray[Any, Any]:
    return np.frombuffer(pcm, dtype=np.int16)


def test_both_directions_are_summed_and_clipped() -> None:
    mix = CallMix()
    mix.feed(tone(1000), inbound=True)
    mix.feed(tone(-300), inbound=False)
    assert set(samples(mix.frame())) == {700}
    mix.feed(tone(30000), inbound=True)
    mix.feed(tone(30000), inbound=False)
    assert set(samples(mix.frame())) == {32767}


def test_a_quiet_side_is_silence_and_a_backlog_is_dropped() -> None:
    mix = CallMix()
    mix.feed(tone(500), inbound=False)
    assert set(samples(mix.frame())) == {500}
    assert set(samples(mix.frame())) == {0}  # nothing left: silence, not a stall
    mix.feed(tone(1, frames=50), inbound=True)
    mix.feed(tone(2), inbound=True)
    frames = [mix.frame() for _ in range(12)]
    assert set(samples(frames[9])) == {2}  # only the latest 10 frames were kept
    assert set(samples(frames[10])) == {0}


class FakeCall:
    """The two things listen-in uses of a SIP call: its RTP monitors and `ended`."""

    def __init__(self) -> None:
        self.rtp = SimpleNamespace(monitors=set())
        self.ended = asyncio.Event()

    def speak(self, value: int, inbound: bool) -> None:
        for monitor in tuple(self.rtp.monitors):
            monitor(tone(value), inbound)


async def test_track_is_paced_and_unhooks_when_stopped() -> None:
    call = FakeCall()
    track = CallAudioTrack(call)  # type: ignore[arg-type]
    assert len(call.rtp.monitors) == 1
    started = time.monotonic()
    call.speak(1200, inbound=True)
    frames = [await track.recv() for _ in range(10)]
    assert time.monotonic() - started >= 0.17  # 10 frames of 20 ms, on the clock
    assert frames[0].sample_rate == 8000 and frames[0].samples == 160
    assert [f.pts for f in frames] == [160 * i for i in range(10)]
    assert int(frames[0].to_ndarray().max()) == 1200
    track.stop()
    assert not call.rtp.monitors


async def test_browser_hears_the_call_and_sends_nothing() -> None:
    call = FakeCall()
    listen_ins = ListenIns()
    ended: list[str] = []
    listener = RTCPeerConnection()
    listener.addTransceiver("audio", direction="recvonly")
    heard: asyncio.Queue[int] = asyncio.Queue()
    readers: list[asyncio.Task[None]] = []

    @listener.on("track")
    def _track(track: Any) -> None:
        async def read() -> None:
            while True:
                frame = await track.recv()
                await heard.put(int(np.abs(frame.to_ndarray()).max()))

        readers.append(asyncio.ensure_future(read()))

    await listener.setLocalDescription(await listener.createOffer())

    async def on_end(why: str) -> None:
        ended.append(why)

    answer = await listen_ins.start("s1", call, listener.localDescription.sdp, on_end)  # type: ignore[arg-type]
    assert "a=sendonly" in answer  # the bot never plays the listener's audio anywhere
    await listener.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def loud() -> None:
        while True:
            call.speak(8000, inbound=True)
            call.speak(-4000, inbound=False)
            if not heard.empty() and await heard.get() > 1000:
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loud(), timeout=15)
    call.ended.set()  # the caller hangs up: the session ends by itself
    for _ in range(100):
        if ended:
            break
        await asyncio.sleep(0.05)
    assert ended == ["call ended"]
    assert not call.rtp.monitors
    assert not await listen_ins.stop("s1")
    await listener.close()
    for reader in readers:
        reader.cancel()
