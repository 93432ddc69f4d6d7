"""The small interface every offline voice engine implements."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

import numpy as np

# Clause ends: synthesising clause by clause gets the first audio out early.
_CLAUSE_END = re.compile(r"(?<=[，。！？；：、,.!?;:\n])")


def split_clauses(text: str) -> list[str]:
    return [clause.strip() for clause in _CLAUSE_END.split(text) if clause.strip()]


# Voices start clauses with up to 300 ms of near-silence; on the hot path that is pure delay.
LEAD_KEEP_S = 0.02
LEAD_THRESHOLD = 200  # 16-bit sample magnitude below which audio is heard as silence


def without_leading_silence(chunks: Iterable[bytes], sample_rate: int) -> Iterator[bytes]:
    """A clause's chunks, less its leading silence but for a short fade-in margin."""
    chunks = iter(chunks)
    margin = int(LEAD_KEEP_S * sample_rate)
    quiet = np.zeros(0, dtype=np.int16)  # the end of the silence so far: the margin
    for pcm in chunks:
        samples = np.concatenate([quiet, np.frombuffer(pcm, dtype=np.int16)])
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > LEAD_THRESHOLD)
        if len(loud):
            yield samples[max(0, int(loud[0]) - margin) :].tobytes()
            yield from chunks
            return
        quiet = samples[-margin:]


class Voice(Protocol):
    """Text in, 16-bit mono PCM chunks out (one or more per clause or sentence)."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> Iterator[bytes]: ...
