"""Streaming Whisper STT: interim transcripts while the caller speaks, a final one at end of turn.

Turn boundaries come from the VAD frames upstream (VADUserStarted/StoppedSpeakingFrame).
A short pre-roll is kept so the first syllable, spoken before VAD confirmed speech, is heard.
The final decode starts speculatively as soon as the caller pauses; when the turn really
ends with nothing but silence after that pause, its result is the final transcript, so the
caller waits for the rest of the decode instead of all of it.

That decode also decides how long the pause must last to end the turn (`end_of_turn`):
the VAD upstream waits the longest (`TurnWaits.unfinished_s`); when the words at the pause
are a whole answer, or may be the end, this service asks it to end the turn sooner, with a
VADParamsUpdateFrame (which resets pipecat's VAD state machine), then restores its wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

import numpy as np
import soxr
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    Frame,
    InterimTranscriptionFrame,
    SpeechControlParamsFrame,
    SystemFrame,
    TranscriptionFrame,
    VADParamsUpdateFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import STTService
from pipecat.utils.time import time_now_iso8601

from bot.speech.end_of_turn import TurnWaits, ending
from bot.speech.pause_tracker import PauseTracker
from bot.speech.transcript import InterimTranscriber, Transcriber, Transcript
from bot.speech.whisper_transcriber import SAMPLE_RATE

PRE_ROLL_S = 0.4


@dataclass
class ExpectedAnswerFrame(SystemFrame):
    """Sent upstream by the dialogue after each reply: what the bot just said and the type
    of the slot it asked for (address, phone …), or None, so the ASR can listen for the
    right words."""

    slot_type: str | None
    question: str = ""
    # Whether words so far hold a whole value for that slot (True), part of one (False), or
    # neither (None): the end of turn's hint. None when nothing closed is expected.
    completes: Callable[[str], bool | None] | None = None


@dataclass
class _Speculation:
    cut_bytes: int  # where speech had ended when this decode started
    task: asyncio.Task[Transcript]
    wait_s: float | None = None  # the pause its words need to end the turn, once decoded


class WhisperSTTService(STTService):
    def __init__(
        self,
        *,
        transcriber: Transcriber,
        interim_transcriber: InterimTranscriber | None = None,
        interim_interval_s: float = 1.0,
        max_utterance_s: float = 25.0,
        pause_s: float = 0.06,
        vad_pause_s: float = 0.15,
        pause_floor_db: float = -30.0,
        turn_waits: TurnWaits | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(
            settings=STTSettings(model="whisper-base", language=None),
            ttfs_p99_latency=0.6,
            **kwargs,  # type: ignore[arg-type]
        )
        self._transcriber = transcriber
        # Interims are frequent and thrown away: a local model can write them while a
        # recognition server writes the finals (asr.backend: openai); none without one.
        self._interim_transcriber = interim_transcriber
        self._places = False  # the bot asked for an address
        self._question = ""  # what the bot said last: the caller answers it
        self._completes: Callable[[str], bool | None] | None = None
        # None: the VAD's own stop_s ends every turn (no earlier end is asked for).
        self._turn_waits = turn_waits
        self._vad_params: VADParams | None = None  # as configured, from the VAD stage
        self._ended_early = False  # this turn's end was asked for; the VAD's wait to restore
        self._interim_interval_s = interim_interval_s
        self._max_utterance_s = max_utterance_s
        self._pause_s = pause_s
        self._vad_pause_s = vad_pause_s
        self._pause_floor_db = pause_floor_db
        self._pre_roll: deque[bytes] = deque()
        self._pre_roll_bytes = 0
        self._utterance: bytearray | None = None
        self._pauses: PauseTracker | None = None
        self._speculation: _Speculation | None = None
        self._interim_task: asyncio.Task[None] | None = None
        self._finals = asyncio.Lock()

    def can_generate_metrics(self) -> bool:
        return True

    def _to_16k(self, pcm: bytes) -> bytes:
        if self.sample_rate == SAMPLE_RATE:
            return pcm
        samples = np.frombuffer(pcm, dtype=np.int16)
        return soxr.resample(samples, self.sample_rate, SAMPLE_RATE, quality="HQ").tobytes()

    def _decode(self, pcm: bytes) -> asyncio.Task[Transcript]:
        decode = self._transcriber.transcribe(self._to_16k(pcm), self._places, self._question)
        return self.create_task(decode, "whisper-decode")

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        if self._utterance is None:
            self._pre_roll.append(audio)
            self._pre_roll_bytes += len(audio)
            while self._pre_roll_bytes / 2 / self.sample_rate > PRE_ROLL_S and self._pre_roll:
                self._pre_roll_bytes -= len(self._pre_roll.popleft())
        else:
            self._utterance.extend(audio)
            self._track_pause(audio)
            if self._ended_early and self._speculation is None:
                await self._restore_vad_wait()  # the caller spoke on before the VAD ended it
            elif self._vad_params is not None and self._turn_over():
                await self._end_turn()
            if len(self._utterance) / 2 / self.sample_rate >= self._max_utterance_s:
                await self._finish_utterance()
                self._begin_utterance()
        yield None

    def _track_pause(self, audio: bytes) -> None:
        assert self._pauses is not None and self._utterance is not None
        self._pauses.feed(audio)
        cut = self._pauses.speech_end_bytes
        stale = self._speculation is not None and self._speculation.cut_bytes != cut
        if stale:  # the caller spoke again after the pause: that decode is out of date
            self._speculation = None
        paused = (
            self._pauses.quiet_s >= self._pause_s or self._pauses.silence_s >= self._vad_pause_s
        )
        if self._speculation is None and paused:
            # All audio so far: the pause's first frames may hold a fading syllable.
            self._speculation = _Speculation(cut, self._decode(bytes(self._utterance)))

    def _turn_over(self) -> bool:
        """Whether the pause has lasted as long as the words heard at it need to end the turn
        (judged once per pause decode, not at every frame)."""
        speculation, waits = self._speculation, self._turn_waits
        if speculation is None or waits is None or self._pauses is None or self._ended_early:
            return False
        if speculation.wait_s is None:
            task = speculation.task
            if not task.done() or task.cancelled() or task.exception() is not None:
                return False
            words = task.result().text
            hint = self._completes(words) if self._completes else None
            speculation.wait_s = waits.after(ending(words, hint))
        # Only sooner than the VAD's own wait (waits.unfinished_s, its stop_s) is worth asking.
        wait = speculation.wait_s
        return wait < waits.unfinished_s and self._pauses.silence_s >= wait

    async def _end_turn(self) -> None:
        """Ask the VAD stage to end the turn now (it answers with VADUserStoppedSpeaking)."""
        assert self._vad_params is not None and self._pauses is not None
        self._ended_early = True
        silence = round(self._pauses.silence_s, 3)
        params = self._vad_params.model_copy(update={"stop_secs": silence})
        await self.push_frame(VADParamsUpdateFrame(params=params), FrameDirection.UPSTREAM)

    async def _restore_vad_wait(self) -> None:
        assert self._vad_params is not None
        self._ended_early = False
        restore = VADParamsUpdateFrame(params=self._vad_params)
        await self.push_frame(restore, FrameDirection.UPSTREAM)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, ExpectedAnswerFrame):
            self._places = frame.slot_type == "address"
            self._question = frame.question
            self._completes = frame.completes
            return
        if isinstance(frame, SpeechControlParamsFrame) and self._vad_params is None:
            self._vad_params = frame.vad_params  # the first: as configured
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._begin_utterance()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            await self._finish_utterance()
            if self._ended_early:
                await self._restore_vad_wait()

    def _begin_utterance(self) -> None:
        self._utterance = bytearray(b"".join(self._pre_roll))
        self._pre_roll.clear()
        self._pre_roll_bytes = 0
        self._pauses = PauseTracker(self.sample_rate, floor_db=self._pause_floor_db)
        self._pauses.reset(len(self._utterance))
        self._speculation = None
        if self._interim_task is None and self._interim_transcriber is not None:
            self._interim_task = self.create_task(
                self._interims(self._interim_transcriber), "whisper-interims"
            )

    async def _finish_utterance(self) -> None:
        if self._utterance is None or self._pauses is None:
            return
        speculation = self._speculation
        fresh = speculation is None or speculation.cut_bytes != self._pauses.speech_end_bytes
        decode = self._decode(bytes(self._utterance)) if fresh else speculation.task  # type: ignore[union-attr]
        self._utterance = None
        self._speculation = None
        if self._interim_task is not None:
            await self.cancel_task(self._interim_task)
            self._interim_task = None
        self.create_task(self._final(decode), "whisper-final")

    async def _interims(self, transcriber: InterimTranscriber) -> None:
        while True:
            await asyncio.sleep(self._interim_interval_s)
            if self._utterance is None:
                return
            if self._speculation is not None:
                continue  # the caller is pausing; the final decode already has the CPU
            audio = self._to_16k(bytes(self._utterance))
            result = await transcriber.transcribe_interim(audio, self._places, self._question)
            if result is not None and result.text and self._utterance is not None:
                await self.push_frame(
                    InterimTranscriptionFrame(
                        text=result.text, user_id=self._user_id, timestamp=time_now_iso8601()
                    )
                )

    async def _final(self, decode: asyncio.Task[Transcript]) -> None:
        async with self._finals:  # finals leave in the order their turns ended
            await self.start_processing_metrics()
            result = await decode
            await self.stop_processing_metrics()
            if result.text:
                await self.push_frame(
                    TranscriptionFrame(
                        text=result.text,
                        user_id=self._user_id,
                        timestamp=time_now_iso8601(),
                        finalized=True,
                        result=result,
                    )
                )

    async def cleanup(self) -> None:
        if self._interim_task is not None:
            await self.cancel_task(self._interim_task)
            self._interim_task = None
        await super().cleanup()
