"""Barge-in: the caller starting to speak interrupts whatever the bot is saying."""

from __future__ import annotations

from pipecat.frames.frames import Frame, VADUserStartedSpeakingFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor


class BargeIn(FrameProcessor):
    """Turns confirmed caller speech into an interruption.

    The InterruptionFrame travels both ways: TTS drops the text it was synthesising and the
    output transport discards the audio it had queued, so the bot falls silent and listens.
    """

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, VADUserStartedSpeakingFrame):
            await self.broadcast_interruption()
