"""Early media (RFC 3960): what the far end plays before its final answer — a ring-back
tone, a colour ring-back tune (彩铃), or a carrier's announcement (关机, 空号 …) ahead of the
failure status. The bot listens, so the campaign can tell an announced failure from a plain
one; when the call is answered the same RTP stream carries the conversation.
"""

from __future__ import annotations

import asyncio
import logging

from aiosipua import SdpMessage

from telephony import sdp
from telephony.rtp_stream import FRAME_BYTES, FRAME_MS, RtpPorts, RtpStream

logger = logging.getLogger(__name__)

# Announcements say what they have to say within this (they then repeat, or the call fails).
MAX_EARLY_S = 30


class FirstAudio:
    """The first `seconds` of the audio a peer sent (8 kHz 16-bit PCM); `monitor` taps a call's
    stream (`RtpStream.monitors`) for what arrives."""

    def __init__(self, seconds: float) -> None:
        self._limit = int(seconds * 1000) // FRAME_MS * FRAME_BYTES
        self._heard = bytearray()

    @property
    def audio(self) -> bytes:
        return bytes(self._heard)

    def add(self, pcm: bytes) -> None:
        if len(self._heard) < self._limit:
            self._heard += pcm[: self._limit - len(self._heard)]

    def monitor(self, pcm: bytes, inbound: bool) -> None:
        if inbound:
            self.add(pcm)


class EarlyMedia:
    """One outbound call's RTP port until the final answer: it owns the port, opens the stream
    when a provisional response brings SDP, and keeps the first `MAX_EARLY_S` of what arrives
    (8 kHz 16-bit PCM)."""

    def __init__(self, host: str, port: int, ports: RtpPorts, signalling_host: str) -> None:
        self._host = host
        self._port = port
        self._ports = ports
        self._signalling_host = signalling_host
        self._opening: asyncio.Task[RtpStream | None] | None = None
        self._heard = FirstAudio(MAX_EARLY_S)

    @property
    def audio(self) -> bytes:
        """What the far end played before its final answer."""
        return self._heard.audio

    def offered(self, answer: SdpMessage) -> None:
        """A 18x carried SDP: start listening (once; later 18x SDP repeats the same media)."""
        if self._opening is None:
            self._opening = asyncio.create_task(self._open(answer))

    async def _open(self, answer: SdpMessage) -> RtpStream | None:
        try:
            media = sdp.read_answer(answer)
            stream = await RtpStream.open(
                self._host, self._port, self._ports, media, signalling_host=self._signalling_host
            )
        except (sdp.SdpError, OSError) as exc:
            logger.warning("early media on port %d not usable: %s", self._port, exc)
            return None
        stream.on_audio = self._heard.add
        return stream

    async def _stream(self) -> RtpStream | None:
        return await self._opening if self._opening is not None else None

    async def hand_over(self) -> RtpStream | None:
        """The call was answered: its stream, if early media opened one (the caller then owns
        the stream and its port; it stops collecting here). None: the port is still ours."""
        stream = await self._stream()
        if stream is not None:
            stream.on_audio = None
        return stream

    async def close(self) -> None:
        """The call ended before an answer: stop listening and give the port back."""
        stream = await self._stream()
        if stream is not None:
            await stream.close()  # gives the port back
        else:
            await self._ports.give_back(self._port)
