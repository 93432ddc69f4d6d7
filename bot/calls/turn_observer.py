"""Watches the frames of one call's pipeline and stamps each turn's milestones.

An observer rather than a processor: it sees every hop without sitting in the audio path.
Each milestone is set once per turn, so a frame seen on several hops counts once.
"""

from __future__ import annotations

import time

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    InputDTMFFrame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection

from bot.calls.call_log import CallLog
from bot.calls.record import Turn
from bot.dialogue.processor import DialogueEventsFrame
from bot.metrics import dialogue_events, turn_heard


class TurnObserver(BaseObserver):
    def __init__(self, log: CallLog) -> None:
        super().__init__()
        self._log = log
        self._seen: set[int] = set()
        self._speech_end: float | None = None
        self._bot_speaking = False

    @property
    def _turns(self) -> list[Turn]:
        return self._log.record.turns

    def _new_turn(self, **fields: object) -> Turn:
        turn = Turn(index=len(self._turns), **fields)  # type: ignore[arg-type]
        self._turns.append(turn)
        return turn

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if frame.id in self._seen:
            return
        now = time.time()
        if isinstance(frame, BotStartedSpeakingFrame):
            self._seen.add(frame.id)
            self._bot_speaking = True
            if self._turns and self._turns[-1].first_audio_out is None:
                self._turns[-1].first_audio_out = now
                turn_heard(self._turns[-1])
                self._log.changed()
            return
        if isinstance(frame, BotStoppedSpeakingFrame):
            self._seen.add(frame.id)
            self._bot_speaking = False
            return
        if data.direction != FrameDirection.DOWNSTREAM:
            return
        self._seen.add(frame.id)
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            # VAD reports the stop after `stop_secs` of silence: the speech ended that long ago.
            self._speech_end = now - frame.stop_secs
        elif isinstance(frame, InterimTranscriptionFrame):
            self._log.record.interim = frame.text
            self._log.changed()
        elif isinstance(frame, TranscriptionFrame):
            self._new_turn(caller_text=frame.text, speech_end=self._speech_end, asr_final=now)
            self._speech_end = None
            self._log.record.interim = None
            self._log.changed()
        elif isinstance(frame, InputDTMFFrame):
            self._new_turn(caller_dtmf=frame.button.value)
            self._log.changed()
        elif isinstance(frame, TTSSpeakFrame):
            turn = self._turns[-1] if self._turns else None
            if turn is None or turn.reply_ready is not None:
                turn = self._new_turn()
            turn.bot_text = frame.text
            turn.reply_ready = now
            self._log.changed()
        elif isinstance(frame, DialogueEventsFrame):
            self._log.record.events.extend(frame.events)
            dialogue_events(frame.events)
            self._log.changed()
        elif isinstance(frame, TTSAudioRawFrame):
            if self._turns and self._turns[-1].first_tts_audio is None:
                self._turns[-1].first_tts_audio = now
                self._log.changed()
        elif isinstance(frame, InterruptionFrame) and self._bot_speaking:
            for turn in reversed(self._turns):
                if turn.reply_ready is not None:
                    turn.interrupted_at = now
                    break
            self._bot_speaking = False
            self._log.changed()
