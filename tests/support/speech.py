"""Caller speech for tests: Mandarin sentences rendered by the project's offline voice."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from bot.config import load_settings
from bot.model_cache import ASSETS
from bot.speech.baker_voice import BakerVoice


@cache
def caller_voice() -> BakerVoice:
    """The Baker voice at its own pace, whatever the bot's voice registry sets."""
    settings = load_settings()
    return BakerVoice(ASSETS["zh-baker"].check(settings.project_path(settings.models.cache_dir)))


def speak(text: str, rate: int) -> np.ndarray:
    """int16 mono PCM of `text` at `rate` Hz."""
    voice = caller_voice()
    pcm = np.frombuffer(b"".join(voice.synthesize(text)), dtype=np.int16)
    return soxr.resample(pcm, voice.sample_rate, rate).astype(np.int16)


def write_wav(
    path: Path, pcm: np.ndarray, rate: int, lead_s: float = 0.0, tail_s: float = 0.0
) -> Path:
    silence = lambda seconds: np.zeros(int(rate * seconds), dtype=np.int16)  # noqa: E731
    sf.write(path, np.concatenate([silence(lead_s), pcm, silence(tail_s)]), rate, subtype="PCM_16")
    return path


DIGITS = dict(zip("零〇一幺二两三四五六七八九", "0011223456789", strict=True))
UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL_RUN = re.compile(f"[{''.join(DIGITS)}{''.join(UNITS)}万]+")


def _arabic(run: str) -> str:
    """一三八零零 → 13800 (read digit by digit); 一百二十 → 120, 十八 → 18 (a quantity)."""
    if not any(c in UNITS or c == "万" for c in run):
        return "".join(DIGITS[c] for c in run)
    total = section = digit = 0
    for c in run:
        if c in DIGITS:
            digit = int(DIGITS[c])
        elif c == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            section += (digit or 1) * UNITS[c]
            digit = 0
    return str(total + section + digit)


def scoring_form(text: str) -> list[str]:
    """The characters a transcript is scored on: no punctuation or spaces, and numbers in
    one written form (a caller's "18号" and "十八号" are the same words)."""
    return [c for c in _NUMERAL_RUN.sub(lambda m: _arabic(m.group()), text) if c.isalnum()]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate on the scoring form of both texts."""
    ref, hyp = scoring_form(reference), scoring_form(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))


def recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's characters heard, in order, somewhere in the hypothesis
    (longest common subsequence, on the scoring form of both)."""
    ref, hyp = scoring_form(reference), scoring_form(hypothesis)
    row = [0] * (len(hyp) + 1)
    for r in ref:
        previous = 0
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], previous + 1 if r == h else max(row[j], row[j - 1])
    return row[len(hyp)] / max(1, len(ref))
