"""One pipecat Pipeline per call, the same for every transport:

transport in → VAD → barge-in → streaming ASR → dialogue → TTS → transport out → recorder
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from loguru import logger
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_transport import BaseTransport
from pipecat.workers.runner import WorkerRunner

from bot.calls.call_log import CallLog
from bot.calls.record import CallRecord
from bot.calls.recorder import CallRecorder
from bot.calls.store import CallStore
from bot.calls.turn_observer import TurnObserver
from bot.config import Settings
from bot.dialogue.engine import DialogueEngine, DialogueSession
from bot.dialogue.processor import CallConnectedFrame, DialogueProcessor
from bot.dialogue.service import DialogueService
from bot.metrics import ACTIVE_CALLS, call_ended, dialogue_events
from bot.model_cache import ASSETS
from bot.redis_guard import connect
from bot.speech.barge_in import BargeIn
from bot.speech.cached_voice import CachedVoice
from bot.speech.offline_tts import OfflineTTSService
from bot.speech.openai_transcriber import OpenAITranscriber
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.transcript import Transcriber
from bot.speech.vad import turn_detector
from bot.speech.voice_registry import load_voice
from bot.speech.whisper_stt import WhisperSTTService
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber
from bot.structured_log import call_context


@dataclass
class CallServices:
    """What every call of one worker process shares: models, voice, store, dialogue engine,
    and the worker's Redis client (one connection pool)."""

    settings: Settings
    redis: redis.Redis
    transcriber: WhisperTranscriber  # the embedded model: interims, and finals by default
    final_transcriber: Transcriber  # asr.backend: the embedded model or a recognition server
    voice: CachedVoice
    store: CallStore
    engine: DialogueEngine
    dialogue: DialogueService

    @classmethod
    def load(cls, settings: Settings) -> CallServices:
        cache_dir = settings.project_path(settings.models.cache_dir)
        client = connect(settings.redis.url)  # the worker's one pool, shared by its stores
        dialogue = DialogueService(
            settings, progress=lambda message: logger.info(message), redis_client=client
        )
        embedded = WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), settings.asr)
        return cls(
            settings=settings,
            redis=client,
            transcriber=embedded,
            final_transcriber=(
                OpenAITranscriber(settings.asr, embedded)
                if settings.asr.backend == "openai"
                else embedded
            ),
            voice=CachedVoice(
                load_voice(
                    settings.project_path(settings.tts.voices_file),
                    cache_dir,
                    settings.tts.language,
                )
            ),
            store=CallStore(client, settings.redis.key_prefix, settings.redis.call_ttl_days),
            engine=dialogue.engine,
            dialogue=dialogue,
        )

    async def close(self) -> None:
        await self.redis.aclose()  # the worker's pool: every store's
        await self.dialogue.close()
        if isinstance(self.final_transcriber, OpenAITranscriber):
            await self.final_transcriber.close()

    def warm_prompts(self) -> int:
        """Synthesise the fixed prompts and the knowledge base's answers ahead of the first
        caller (run in a thread)."""
        fixed = [p for p in self.dialogue.flows.current().prompts() if "{" not in p]
        fixed += self.dialogue.knowledge.answer_texts()
        return self.voice.warm(normalize_for_speech(text) for text in fixed)

    # Phone audio (8 kHz) goes to the ASR as it is: it resamples whole utterances itself.
    phone_input_rate = 8000

    def speech_to_text(self) -> FrameProcessor:
        return WhisperSTTService(
            transcriber=self.final_transcriber,
            interim_transcriber=self.transcriber,
            interim_interval_s=self.settings.asr.interim_interval_s,
            pause_s=self.settings.asr.pause_s,
            vad_pause_s=self.settings.asr.vad_pause_s,
            pause_floor_db=self.settings.asr.pause_floor_db,
            max_utterance_s=self.settings.asr.max_utterance_s,
            turn_waits=self.settings.vad.turn_waits(),
        )

    def text_to_speech(self) -> FrameProcessor:
        return OfflineTTSService(voice=self.voice)

    def build_call_pipeline(
        self,
        transport: BaseTransport,
        log: CallLog,
        recorder: CallRecorder,
        session: DialogueSession,
        audio_in_sample_rate: int = SAMPLE_RATE,
    ) -> PipelineWorker:
        settings = self.settings
        dialogue = DialogueProcessor(session, silence_timeout_s=settings.dialogue.silence_timeout_s)
        pipeline = Pipeline(
            [
                transport.input(),
                turn_detector(settings.vad),
                BargeIn(),
                self.speech_to_text(),
                dialogue,
                self.text_to_speech(),
                transport.output(),
                recorder.processor,
            ]
        )
        return PipelineWorker(
            pipeline,
            params=PipelineParams(
                audio_in_sample_rate=audio_in_sample_rate,
                audio_out_sample_rate=self.voice.sample_rate,
                enable_metrics=True,
            ),
            observers=[TurnObserver(log)],
            enable_rtvi=False,
        )

    @staticmethod
    async def _finish_dialogue(session: DialogueSession, log: CallLog) -> None:
        """What the flow keeps of a call that ended early goes into the record."""
        try:
            events = await session.finish()
        except Exception:  # the record is written whatever happens here
            logger.exception(f"call {log.record.id}: finishing the dialogue failed")
            return
        if events:
            log.record.events.extend(events)
            dialogue_events(events)
            log.changed()

    async def run_call(
        self,
        transport: BaseTransport,
        record: CallRecord,
        audio_in_sample_rate: int = SAMPLE_RATE,
        flow: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Run one call until the caller hangs up (or the dialogue ends it); the caller's
        audio arrives at `audio_in_sample_rate` (8 kHz from a phone line). `flow` and `data`
        start the conversation in a given flow (outbound campaigns)."""
        with call_context(record.id):
            recordings = self.settings.project_path(self.settings.calls.recordings_dir)
            # A call taken back after a failed transfer records its second part beside the first.
            part = f"-{len(record.turns)}" if record.recording else ""
            recorder = CallRecorder(recordings / f"{record.id}{part}.wav")
            record.recording = str(recorder.path)
            log = CallLog(record, self.store)
            log.start()
            session = self.engine.new_session(record.id, record.caller, flow=flow, data=data)
            task = self.build_call_pipeline(transport, log, recorder, session, audio_in_sample_rate)

            @transport.event_handler("on_client_connected")
            async def _connected(_transport: BaseTransport, _client: object) -> None:
                await recorder.start()
                await task.queue_frame(CallConnectedFrame())

            @transport.event_handler("on_client_disconnected")
            async def _disconnected(_transport: BaseTransport, _client: object) -> None:
                await task.cancel()

            logger.info(f"call {record.id} ({record.channel}) started")
            ACTIVE_CALLS.labels(record.channel).inc()
            failed = True
            try:
                runner = WorkerRunner(handle_sigint=False)
                await runner.add_workers(task)
                await runner.run()
                failed = False
            except asyncio.CancelledError:
                failed = False
                await task.cancel()
                raise
            finally:
                ACTIVE_CALLS.labels(record.channel).dec()
                await self._finish_dialogue(session, log)
                call_ended(record.channel, record.events, failed)
                await recorder.stop()
                await log.close()
                logger.info(f"call {record.id} ended after {len(record.turns)} turns")
