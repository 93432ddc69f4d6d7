"""Final transcripts from an OpenAI-compatible `/v1/audio/transcriptions` server.

A centre runs its production recogniser on a GPU server (vLLM serving Whisper-large-v3, FunASR's
or speaches' OpenAI-compatible server) and points `asr.url` at it, the way `llm.url` points at
vLLM. The embedded model stays: it writes the interim transcripts, and any final the server
cannot give within `asr.timeout_s`, so a slow or failed server costs accuracy, never a turn.
What the server writes is tidied like the embedded model's output (prompt echoes removed, the
hotline's terms restored), and its confidence kept where it says (`verbose_json` segments).
"""

from __future__ import annotations

import io
import time
import wave
from typing import Any

import httpx
import numpy as np
from loguru import logger

from bot.config import AsrConfig
from bot.metrics import ASR_DECODE, ASR_SERVER_FALLBACKS
from bot.speech.transcript import Transcript, confidence_of
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber, is_line_noise


def wav_bytes(pcm16: bytes) -> bytes:
    """16 kHz mono int16 PCM as a WAV file, the form every such server reads."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm16)
    return buffer.getvalue()


class OpenAITranscriber:
    """A `Transcriber` on a recognition server, with the embedded model as its fallback."""

    def __init__(self, config: AsrConfig, embedded: WhisperTranscriber) -> None:
        self._config = config
        self._embedded = embedded
        self._http = httpx.AsyncClient(
            base_url=config.url.rstrip("/"),
            timeout=config.timeout_s,
            headers={"Authorization": f"Bearer {config.api_key}"} if config.api_key else {},
        )

    def _prompt(self, places: bool, question: str) -> str:
        if places and self._embedded.prompt_with_places:
            return self._embedded.prompt_with_places
        return self._embedded.prompt_for(places, question)

    async def _server_text(self, pcm16: bytes, prompt: str) -> tuple[str, float | None]:
        response = await self._http.post(
            "/v1/audio/transcriptions",
            files={"file": ("turn.wav", wav_bytes(pcm16), "audio/wav")},
            data={
                "model": self._config.model,
                "language": self._config.language,
                "prompt": prompt,
                "response_format": "verbose_json",
                "temperature": "0",
            },
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        segments = body.get("segments") or []
        logprobs = [float(s["avg_logprob"]) for s in segments if "avg_logprob" in s]
        return str(body["text"]), confidence_of(logprobs)

    async def transcribe(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript:
        started = time.perf_counter()
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        audio_s = len(audio) / SAMPLE_RATE
        if is_line_noise(audio):
            return Transcript("", audio_s, 0.0, started)
        try:
            raw, confidence = await self._server_text(pcm16, self._prompt(places, question))
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            ASR_SERVER_FALLBACKS.inc()
            logger.warning(f"recognition server {self._config.url} failed, embedded ASR: {exc!r}")
            return await self._embedded.transcribe(pcm16, places, question)
        text = self._embedded.tidy(raw, places, question)
        done = time.perf_counter()
        ASR_DECODE.observe(done - started)
        return Transcript(text, audio_s, done - started, done, confidence)

    async def close(self) -> None:
        await self._http.aclose()
