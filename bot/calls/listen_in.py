"""Listen-in: a supervisor's browser hears both directions of a live SIP call over WebRTC.

The caller's RTP stream reports every frame it receives (the caller) and sends (the bot, or
the agent once bridged); they are mixed into one 20 ms track towards the browser. The
browser's own audio is never read, so the caller cannot hear the supervisor.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Awaitable, Callable

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from telephony.call import SipCall
from telephony.rtp_stream import FRAME_BYTES, SAMPLE_RATE

# Audio waiting to be mixed beyond this is dropped (oldest first): the listener stays live.
MAX_BACKLOG_BYTES = FRAME_BYTES * 10
SAMPLES_PER_FRAME = FRAME_BYTES // 2


class CallMix:
    """Both directions of one call, mixed frame by frame (silence where one side is quiet)."""

    def __init__(self) -> None:
        self._sides = (bytearray(), bytearray())  # what the caller says, what the caller hears

    def feed(self, pcm: bytes, inbound: bool) -> None:
        side = self._sides[0 if inbound else 1]
        side += pcm
        if len(side) > MAX_BACKLOG_BYTES:
            del side[: len(side) - MAX_BACKLOG_BYTES]

    def frame(self) -> bytes:
        mixed = np.zeros(SAMPLES_PER_FRAME, dtype=np.int32)
        for side in self._sides:
            chunk = bytes(side[:FRAME_BYTES]).ljust(FRAME_BYTES, b"\0")
            del side[:FRAME_BYTES]
            mixed += np.frombuffer(chunk, dtype=np.int16)
        return np.clip(mixed, -32768, 32767).astype(np.int16).tobytes()


class CallAudioTrack(MediaStreamTrack):
    """The mix of one call as a WebRTC audio track, on a 20 ms clock."""

    kind = "audio"

    def __init__(self, call: SipCall) -> None:
        super().__init__()
        self._call = call
        self._mix = CallMix()
        self._pts = 0
        self._started: float | None = None
        call.rtp.monitors.add(self._mix.feed)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started is None:
            self._started = time.monotonic()
        await asyncio.sleep(max(0.0, self._started + self._pts / SAMPLE_RATE - time.monotonic()))
        samples = np.frombuffer(self._mix.frame(), dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += SAMPLES_PER_FRAME
        return frame

    def stop(self) -> None:
        self._call.rtp.monitors.discard(self._mix.feed)
        super().stop()


class ListenIns:
    """The listen-in sessions of one worker: each a peer connection carrying one call."""

    def __init__(self) -> None:
        self._sessions: dict[str, asyncio.Task[None]] = {}

    async def start(
        self, session: str, call: SipCall, offer: str, ended: Callable[[str], Awaitable[None]]
    ) -> str:
        """Answer the browser's `offer` with the call's audio; returns the SDP answer.
        `ended(why)` runs once the session is over, whatever ended it."""
        pc = RTCPeerConnection()
        track = CallAudioTrack(call)
        pc.addTrack(track)
        closed = asyncio.Event()

        @pc.on("connectionstatechange")
        def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                closed.set()

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            track.stop()
            await pc.close()
            raise

        async def run() -> None:
            why = "stopped"
            try:
                done = await _first(call.ended.wait(), closed.wait())
                why = "call ended" if done == 0 else "listener left"
            finally:
                track.stop()
                await pc.close()
                self._sessions.pop(session, None)
                await ended(why)

        self._sessions[session] = asyncio.create_task(run(), name=f"listen-{session}")
        return str(pc.localDescription.sdp)

    async def stop(self, session: str) -> bool:
        """End a session at the listener's request; False when there is none by that id."""
        task = self._sessions.get(session)
        if task is None:
            return False
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return True

    async def close(self) -> None:
        for session in list(self._sessions):
            await self.stop(session)


async def _first(*waits: Awaitable[object]) -> int:
    """The index of the first of `waits` to finish; the others are cancelled."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return tasks.index(next(iter(done)))
    finally:
        for task in tasks:
            task.cancel()
