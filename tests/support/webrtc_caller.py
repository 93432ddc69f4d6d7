"""A scripted WebRTC caller built on aiortc: speaks PCM on cue, records what the bot sends."""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import dataclass, field

import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from av import AudioFrame

RATE = 48000
FRAME = RATE // 50  # 20 ms


class ScriptedMic(MediaStreamTrack):
    """Silence, except while `say()`-queued speech is playing; paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = np.zeros(0, dtype=np.int16)
        self._pts = 0
        self._start: float | None = None
        # Wall-clock time of the first audible frame sent (not the leading silence).
        self.speech_started_at: float | None = None

    def say(self, pcm48k: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, pcm48k.astype(np.int16)])

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._pts / RATE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        chunk = np.zeros(FRAME, dtype=np.int16)
        if len(self._pending):
            take = self._pending[:FRAME]
            if self.speech_started_at is None and np.sqrt(np.mean(take.astype(float) ** 2)) > 300:
                self.speech_started_at = time.time()  # wall clock: comparable with the bot's
            chunk[: len(take)] = take
            self._pending = self._pending[FRAME:]
        frame = AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@dataclass
class BotEar:
    """Everything the bot sent, as (arrival time, RMS) per received frame, plus the PCM."""

    levels: list[tuple[float, float]] = field(default_factory=list)
    pcm: list[np.ndarray] = field(default_factory=list)
    rate: int = RATE

    def loud_since(self, since: float, threshold: float = 500.0) -> list[float]:
        return [t for t, rms in self.levels if t >= since and rms > threshold]


class WebRTCCaller:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.mic = ScriptedMic()
        self.ear = BotEar()
        self.call_id: str | None = None
        self.call_token: str | None = None  # reads this call at GET /phone/calls/{call_id}
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._listener: asyncio.Task[None] | None = None

    async def _listen(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            samples = frame.to_ndarray().astype(np.float32)
            if frame.layout.nb_channels > 1:
                samples = samples.reshape(-1, frame.layout.nb_channels).mean(axis=1)
            self.ear.rate = frame.sample_rate
            self.ear.pcm.append(samples.astype(np.int16).ravel())
            self.ear.levels.append((time.time(), float(np.sqrt(np.mean(samples**2)))))

    async def dial(self) -> None:
        self._pc.addTrack(self.mic)

        @self._pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            self._listener = asyncio.create_task(self._listen(track))

        await self._pc.setLocalDescription(await self._pc.createOffer())
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            response = await client.post(
                "/phone/offer", json={"sdp": self._pc.localDescription.sdp, "type": "offer"}
            )
        response.raise_for_status()
        answer = response.json()
        self.call_id = answer["call_id"]
        self.call_token = answer["call_token"]
        await self._pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def wait_for_bot_audio(self, since: float, timeout: float) -> float:
        """Time the bot's audio first turned loud after `since`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            loud = self.ear.loud_since(since)
            if loud:
                return loud[0]
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no audio from the bot within {timeout} s")

    async def hang_up(self) -> None:
        await self._pc.close()
        if self._listener is not None:
            self._listener.cancel()
