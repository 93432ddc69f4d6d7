"""DialogueProcessor: final transcripts in, the engine's replies out as speech."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    DataFrame,
    EndTaskFrame,
    Frame,
    TranscriptionFrame,
    TTSSpeakFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from bot.dialogue.engine import DialogueSession, Reply


@dataclass
class CallConnectedFrame(DataFrame):
    """Queued by the transport glue when the caller's media is flowing: time to greet."""


@dataclass
class DialogueEventsFrame(DataFrame):
    """Business events of a turn (ticket created, answer given, transfer …) for the record."""

    events: list[dict[str, Any]]


class DialogueProcessor(FrameProcessor):
    def __init__(self, session: DialogueSession, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._session = session

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, CallConnectedFrame):
            await self._speak(await self._session.start())
        elif isinstance(frame, TranscriptionFrame) and direction == FrameDirection.DOWNSTREAM:
            await self.push_frame(frame, direction)
            try:
                replies = await self._session.handle(frame.text)
            except Exception:  # the engine failing must not end the call in silence
                logger.exception("dialogue engine failed on {!r}", frame.text)
                replies = []
            await self._speak(replies)
        else:
            await self.push_frame(frame, direction)

    async def _speak(self, replies: list[Reply]) -> None:
        events = self._session.take_events()
        if events:
            await self.push_frame(DialogueEventsFrame(events=events))
        if not replies:
            return
        await self.push_frame(TTSSpeakFrame(text="".join(reply.text for reply in replies)))
        if any(reply.hangup for reply in replies):
            await self.push_frame(EndTaskFrame(), FrameDirection.UPSTREAM)
