"""Caller speech for tests: Mandarin sentences rendered by the project's offline voice."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from bot.config import load_settings
from bot.model_cache import ASSETS
from bot.speech.baker_voice import BakerVoice


@cache
def _voice() -> BakerVoice:
    settings = load_settings()
    return BakerVoice(ASSETS["zh-baker"].check(settings.project_path(settings.models.cache_dir)))


def speak(text: str, rate: int) -> np.ndarray:
    """int16 mono PCM of `text` at `rate` Hz."""
    voice = _voice()
    pcm = np.frombuffer(b"".join(voice.synthesize(text)), dtype=np.int16)
    return soxr.resample(pcm, voice.sample_rate, rate).astype(np.int16)


def write_wav(
    path: Path, pcm: np.ndarray, rate: int, lead_s: float = 0.0, tail_s: float = 0.0
) -> Path:
    silence = lambda seconds: np.zeros(int(rate * seconds), dtype=np.int16)  # noqa: E731
    sf.write(path, np.concatenate([silence(lead_s), pcm, silence(tail_s)]), rate, subtype="PCM_16")
    return path


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, ignoring punctuation and spaces."""
    keep = lambda text: [c for c in text if c.isalnum()]  # noqa: E731
    ref, hyp = keep(reference), keep(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))


def recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's characters heard, in order, somewhere in the hypothesis
    (longest common subsequence; punctuation and spaces ignored)."""
    keep = lambda text: [c for c in text if c.isalnum()]  # noqa: E731
    ref, hyp = keep(reference), keep(hypothesis)
    row = [0] * (len(hyp) + 1)
    for r in ref:
        previous = 0
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], previous + 1 if r == h else max(row[j], row[j - 1])
    return row[len(hyp)] / max(1, len(ref))
