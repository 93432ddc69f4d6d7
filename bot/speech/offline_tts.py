"""TTS service over an in-process offline voice (piper or the Baker Mandarin voice)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

from pipecat.frames.frames import ErrorFrame, Frame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService

from bot.metrics import TTS_FIRST_AUDIO
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.voice import Voice

_DONE = object()


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Pull a blocking synthesis iterator chunk by chunk without blocking the event loop."""
    while True:
        chunk = await asyncio.to_thread(next, chunks, _DONE)
        if chunk is _DONE:
            return
        yield chunk  # type: ignore[misc]


class OfflineTTSService(TTSService):
    """Speaks each text clause by clause, resampled to the transport's output rate."""

    def __init__(self, *, voice: Voice, **kwargs: object) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=TTSSettings(model=None, voice=voice.name, language=None),
            **kwargs,  # type: ignore[arg-type]
        )
        self._voice = voice

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        started: float | None = time.perf_counter()
        try:
            async for frame in self._stream_audio_frames_from_iterator(
                _in_thread(self._voice.synthesize(normalize_for_speech(text))),
                in_sample_rate=self._voice.sample_rate,
                context_id=context_id,
            ):
                await self.stop_ttfb_metrics()
                if started is not None:
                    TTS_FIRST_AUDIO.observe(time.perf_counter() - started)
                    started = None
                yield frame
        except Exception as exc:  # a broken voice must not end the call
            yield ErrorFrame(error=f"TTS failed for {text!r}: {exc}")
