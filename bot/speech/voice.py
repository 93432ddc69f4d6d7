"""The small interface every offline voice engine implements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

# Clause ends: synthesising clause by clause gets the first audio out early.
_CLAUSE_END = re.compile(r"(?<=[，。！？；：、,.!?;:\n])")


def split_clauses(text: str) -> list[str]:
    return [clause.strip() for clause in _CLAUSE_END.split(text) if clause.strip()]


class Voice(Protocol):
    """Text in, 16-bit mono PCM chunks out (one per clause or sentence)."""

    name: str
    sample_rate: int

    def synthesize(self, text: str) -> Iterator[bytes]: ...
