"""What a recogniser heard in one utterance, whichever recogniser it was."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Transcript:
    text: str
    audio_s: float
    decode_s: float
    done_at: float  # time.perf_counter() when the text was ready
    # The recogniser's own certainty, 0–1: the per-token probability its decoder gave the
    # text (the geometric mean, from Whisper's average log-probability); None when unknown.
    confidence: float | None = None


def confidence_of(avg_logprobs: Sequence[float]) -> float | None:
    """One utterance's confidence from its segments' average token log-probabilities."""
    if not avg_logprobs:
        return None
    return math.exp(sum(avg_logprobs) / len(avg_logprobs))


class Transcriber(Protocol):
    async def transcribe(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript:
        """One utterance (int16 little-endian, 16 kHz mono); `places`: it should hold an
        address; `question`: what the bot said just before."""
        ...


class InterimTranscriber(Protocol):
    async def transcribe_interim(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript | None:
        """The utterance so far, as `Transcriber.transcribe`; None when the recogniser is too
        busy with final transcripts to write one."""
        ...
