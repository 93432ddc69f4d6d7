"""DialogueProcessor: final transcripts in, the engine's replies out as speech."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    DataFrame,
    EndWorkerFrame,
    Frame,
    InputDTMFFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from bot.dialogue.engine import DialogueSession, Reply
from bot.speech.transcript import Transcript
from bot.speech.whisper_stt import ExpectedAnswerFrame


@dataclass
class CallConnectedFrame(DataFrame):
    """Queued by the transport glue when the caller's media is flowing: time to greet."""


@dataclass
class DialogueEventsFrame(DataFrame):
    """Business events of a turn (ticket created, answer given, transfer …) for the record."""

    events: list[dict[str, Any]]


class DialogueProcessor(FrameProcessor):
    """Also keeps time: when the caller stays silent after the bot finished speaking for
    `silence_timeout_s`, the engine re-prompts (and in the end gives up politely)."""

    def __init__(
        self, session: DialogueSession, silence_timeout_s: float = 8.0, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._session = session
        self._silence_timeout_s = silence_timeout_s
        self._silence_timer: asyncio.Task[None] | None = None
        self._caller_speaking = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStartedSpeakingFrame | VADUserStoppedSpeakingFrame):
            self._caller_speaking = isinstance(frame, VADUserStartedSpeakingFrame)
        # Silence counts from the end of whoever spoke last; a reply cancels it.
        if isinstance(frame, BotStoppedSpeakingFrame | VADUserStoppedSpeakingFrame):
            if not self._caller_speaking:
                self._restart_silence_timer()
        elif isinstance(frame, BotStartedSpeakingFrame | VADUserStartedSpeakingFrame):
            await self._stop_silence_timer()
        if isinstance(frame, CallConnectedFrame):
            await self._speak(await self._session.start())
        elif isinstance(frame, TranscriptionFrame) and direction == FrameDirection.DOWNSTREAM:
            await self.push_frame(frame, direction)
            heard = frame.result.confidence if isinstance(frame.result, Transcript) else None
            await self._answer(
                self._session.handle(frame.text, acknowledge=self._acknowledge, confidence=heard)
            )
        elif isinstance(frame, InputDTMFFrame):
            # A key press answers at once: it cuts off the prompt being played.
            await self.push_frame(frame, direction)
            await self.broadcast_interruption()
            await self._answer(self._session.handle_dtmf(frame.button.value))
        else:
            await self.push_frame(frame, direction)

    async def _answer(self, replies: Awaitable[list[Reply]]) -> None:
        """The caller said something: no re-prompt while the turn is handled (an LLM may
        take seconds); if nothing is said back (a number still being typed), silence counts
        again from here."""
        await self._stop_silence_timer()
        said = await self._safely(replies)
        await self._speak(said)
        if not said:
            self._restart_silence_timer()

    async def _acknowledge(self, reply: Reply) -> None:
        """Spoken at once while the LLM reads the caller's words, so the line is never silent
        for the seconds it takes on a small machine."""
        await self.push_frame(TTSSpeakFrame(text=reply.text))

    async def _safely(self, replies: Awaitable[list[Reply]]) -> list[Reply]:
        try:
            return await replies
        except Exception:  # the engine failing must not end the call in silence
            logger.exception("dialogue engine failed")
            return []

    def _restart_silence_timer(self) -> None:
        if self._silence_timer is not None:
            self._silence_timer.cancel()
        self._silence_timer = self.create_task(self._silence_after_timeout(), "silence")

    async def _stop_silence_timer(self) -> None:
        if self._silence_timer is not None:
            await self.cancel_task(self._silence_timer)
            self._silence_timer = None

    async def _silence_after_timeout(self) -> None:
        await asyncio.sleep(self._silence_timeout_s)
        self._silence_timer = None
        await self._speak(await self._safely(self._session.silence()))

    async def cleanup(self) -> None:
        await self._stop_silence_timer()
        await super().cleanup()

    async def _speak(self, replies: list[Reply]) -> None:
        events = self._session.take_events()
        if events:
            await self.push_frame(DialogueEventsFrame(events=events))
        if not replies:
            return
        said = "".join(reply.text for reply in replies)
        await self.push_frame(TTSSpeakFrame(text=said))
        if any(reply.hangup for reply in replies):
            await self.push_frame(EndWorkerFrame(), FrameDirection.UPSTREAM)
        else:
            expected = ExpectedAnswerFrame(
                self._session.expected_slot_type(),
                question=said,
                completes=self._session.completes_answer,
            )
            await self.push_frame(expected, FrameDirection.UPSTREAM)
