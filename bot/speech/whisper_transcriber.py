"""One shared faster-whisper model per worker, with a short encoder window and bounded concurrency.

Whisper pads every utterance to a 30 s window, so a 3 s turn costs as much as a 30 s one.
The encoder accepts a shorter mel window: utterances that fit in `window_s` are encoded
with that window (≈3x faster, same CER), longer ones with the full 30 s.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel
from loguru import logger

from bot.config import AsrConfig
from bot.metrics import ASR_DECODE
from bot.speech.decode_slots import DecodeSlots
from bot.speech.domain_lexicon import DomainLexicon, place_terms
from bot.speech.transcript import Transcript, confidence_of
from bot.speech.transcript_guard import clean_transcript

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100
# Whisper keeps at most this many prompt tokens (half its 448-token text context, minus one).
PROMPT_TOKENS = 223
# Below this RMS (int16 full scale = 1.0) an utterance is line noise: not worth decoding.
MIN_RMS = 0.003
# The end of what the bot said last, as decoder context (≈ 100 tokens beside the prompt).
QUESTION_CHARS = 80


def is_line_noise(audio: np.ndarray) -> bool:
    """Too short or too quiet to hold words (float samples, full scale 1.0)."""
    return len(audio) < 0.1 * SAMPLE_RATE or float(np.sqrt(np.mean(audio**2))) < MIN_RMS


class _WindowedWhisperModel(WhisperModel):
    """WhisperModel whose encoder input is trimmed to a per-thread window."""

    _window = threading.local()

    def encode(self, features: np.ndarray):  # type: ignore[no-untyped-def]
        frames = getattr(self._window, "frames", None)
        if frames is not None and features.shape[-1] > frames:
            features = np.ascontiguousarray(features[..., :frames])
        return super().encode(features)


class WhisperTranscriber:
    """Thread-safe transcription of 16 kHz mono PCM utterances."""

    def __init__(self, model_dir: Path, config: AsrConfig) -> None:
        self._config = config
        self._model = _WindowedWhisperModel(
            str(model_dir),
            device="cpu",
            compute_type="int8",
            cpu_threads=config.cpu_threads,
            num_workers=config.max_concurrent,
        )
        self._slots = DecodeSlots(config.max_concurrent)
        # The city's place names reach the decoder either inside the prompt text or as
        # faster-whisper hotwords (placed before the prompt); bench/asr.py compares the two.
        # They are used only for utterances that should hold an address: elsewhere they pull
        # short answers towards place names (是的 → 西丽).
        places = "、".join(self._fitting(config)) if config.place_names_via != "off" else ""
        self._prompt = config.initial_prompt
        self._place_hotwords = None
        # A recogniser behind an HTTP API takes no hotwords: its place names go in the prompt.
        self.prompt_with_places = f"本市地名：{places}。{config.initial_prompt}" if places else ""
        self._place_prompt = self._prompt
        if places and config.place_names_via == "prompt":
            self._place_prompt = self.prompt_with_places
        elif places:
            self._place_hotwords = places
        # Sound-alikes of the hotline's terms and places are written as the hotline writes them.
        places_said = place_terms(config.place_names)
        self._place_terms = frozenset(places_said)
        self._lexicon = DomainLexicon([*config.lexicon, *places_said])  # in order: first wins

    def _fitting(self, config: AsrConfig) -> list[str]:
        """The place names that fit beside the prompt in Whisper's prompt window (the decoder
        silently drops the oldest prompt tokens beyond it)."""
        tokens = self._model.hf_tokenizer
        budget = PROMPT_TOKENS - len(tokens.encode(f" 本市地名：。{config.initial_prompt}").ids)
        kept: list[str] = []
        for name in config.place_names:
            budget -= len(tokens.encode(f"{name}、", add_special_tokens=False).ids)
            if budget < 0:
                logger.warning(
                    f"asr.place_names: {len(config.place_names) - len(kept)} of "
                    f"{len(config.place_names)} names do not fit in Whisper's prompt and are "
                    f"not used (from '{name}' on); list the most called places first"
                )
                break
            kept.append(name)
        return kept

    def prompt_for(self, places: bool, question: str) -> str:
        """The decoder prompt: the city's places for an address, else the bot's question."""
        if places:
            return self._place_prompt
        if question and self._config.question_context:
            # Whisper's prompt is the text before the audio: the question the caller answers.
            return self._prompt + question[-QUESTION_CHARS:]
        return self._prompt

    def transcribe_sync(self, pcm16: bytes, places: bool = False, question: str = "") -> Transcript:
        """Decode one utterance (int16 little-endian, 16 kHz mono) in the calling thread;
        `places`: it should hold an address, so the city's place names are used;
        `question`: what the bot said just before, which the caller is answering."""
        audio = np.frombuffer(pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        audio_s = len(audio) / SAMPLE_RATE
        started = time.perf_counter()
        if is_line_noise(audio):
            return Transcript("", audio_s, 0.0, started)
        fits = audio_s + 0.5 <= self._config.window_s
        _WindowedWhisperModel._window.frames = (
            self._config.window_s * FRAMES_PER_SECOND if fits else None
        )
        try:
            segments, _info = self._model.transcribe(
                audio,
                language=self._config.language,
                beam_size=self._config.beam_size,
                initial_prompt=self.prompt_for(places, question),
                hotwords=self._place_hotwords if places else None,
                condition_on_previous_text=False,
                without_timestamps=True,
                compression_ratio_threshold=self._config.max_compression_ratio,
                no_speech_threshold=self._config.no_speech_threshold,
                max_new_tokens=min(200, int(audio_s * 12) + 20),
            )
            kept = [
                segment
                for segment in segments
                if segment.compression_ratio <= self._config.max_compression_ratio
                and not (
                    segment.no_speech_prob > self._config.no_speech_threshold
                    and segment.avg_logprob < -0.7
                )
            ]
        finally:
            _WindowedWhisperModel._window.frames = None
        text = self.tidy("".join(segment.text for segment in kept), places, question)
        done = time.perf_counter()
        confidence = confidence_of([segment.avg_logprob for segment in kept])
        return Transcript(text, audio_s, done - started, done, confidence)

    def tidy(self, text: str, places: bool, question: str) -> str:
        """A raw transcript with echoes of the prompt removed and the hotline's terms and
        places written as the hotline writes them (any recogniser's output)."""
        text = clean_transcript(text, self._config.initial_prompt, question)
        return self._lexicon.correct(text, expected=self._place_terms if places else ())

    async def transcribe(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript:
        """A final transcript, decoded off the event loop; beyond `max_concurrent` decodes at
        once, finals wait in turn (never behind interims)."""
        async with self._slots.final():
            return await self._decode(pcm16, places, question)

    async def transcribe_interim(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript | None:
        """An interim transcript if a decoder is free and no final waits; None: shed."""
        async with self._slots.interim() as decoding:
            return await self._decode(pcm16, places, question) if decoding else None

    async def _decode(self, pcm16: bytes, places: bool, question: str) -> Transcript:
        transcript = await asyncio.to_thread(self.transcribe_sync, pcm16, places, question)
        ASR_DECODE.observe(transcript.decode_s)
        return transcript
