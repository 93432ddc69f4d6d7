"""Hybrid retrieval: BM25 and e5 rankings fused, with the embeddings cached on disk.

Embedding every passage takes seconds; the cache in `index_dir` (embeddings.npy plus a manifest
of document hashes) makes later starts instant and is rebuilt as soon as any document changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from bot.knowledge.dense_index import MODEL_NAME, DenseIndex, Encoder, default_encoder, embed_units
from bot.knowledge.documents import KnowledgeError, PolicyDocument, Unit, units_of
from bot.knowledge.lexical_index import LexicalIndex

MANIFEST = "manifest.json"
EMBEDDINGS = "embeddings.npy"
INDEX_FORMAT = 1
RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of the very top ranks
Fusion = Literal["rrf", "blend"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with the scores that put it there."""

    document: PolicyDocument
    passage: str
    unit: int  # 0 = the document's summary (standard answer), n = its n-th later paragraph
    score: float  # fused rank score; only comparable within one search
    lexical: float  # BM25 score
    dense: float  # cosine similarity, -1..1
    coverage: float  # share of the question's information found in the document, 0..1


def fuse(lexical: np.ndarray, dense: np.ndarray, method: Fusion) -> np.ndarray:
    """Combine per-unit scores; higher is better."""
    if method == "rrf":
        fused = np.zeros(len(dense))
        for scores, matched in ((lexical, lexical > 0), (dense, np.ones(len(dense), bool))):
            ranks = np.empty(len(scores))
            ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
            # Units sharing no word with the question get no lexical vote (a rank among ties
            # at zero would favour whichever document happens to sort first).
            fused += np.where(matched, 1.0 / (RRF_K + ranks), 0.0)
        return fused

    def normalised(scores: np.ndarray) -> np.ndarray:
        spread = scores.max() - scores.min()
        return (scores - scores.min()) / spread if spread > 0 else np.zeros(len(scores))

    return 0.5 * normalised(lexical) + 0.5 * normalised(dense)


def _units_digest(units: list[Unit]) -> str:
    digest = hashlib.sha256(MODEL_NAME.encode())
    for unit in units:
        digest.update(f"\0{unit.doc_id}\0{unit.index}\0{unit.text}".encode())
    return digest.hexdigest()


def _manifest(documents: list[PolicyDocument], units: list[Unit]) -> dict[str, object]:
    return {
        "format": INDEX_FORMAT,
        "model": MODEL_NAME,
        "units": len(units),
        "units_sha256": _units_digest(units),
        "documents": {document.id: document.content_hash for document in documents},
    }


def _load_cached(index_dir: Path, manifest: dict[str, object]) -> np.ndarray | None:
    """The cached embeddings if they were built from exactly these documents, else None."""
    try:
        stored = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
        if stored != manifest:
            return None
        embeddings = np.load(index_dir / EMBEDDINGS, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if embeddings.ndim != 2 or embeddings.shape[0] != manifest["units"]:
        return None
    return np.asarray(embeddings, np.float32)


def _save(index_dir: Path, manifest: dict[str, object], embeddings: np.ndarray) -> None:
    """Write embeddings then manifest, each atomically, so a crash never leaves a stale match."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        (index_dir / MANIFEST).unlink(missing_ok=True)
        tmp = index_dir / f".{EMBEDDINGS}.tmp"
        with tmp.open("wb") as handle:
            np.save(handle, embeddings, allow_pickle=False)
        os.replace(tmp, index_dir / EMBEDDINGS)
        tmp = index_dir / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, index_dir / MANIFEST)
    except OSError as exc:
        raise KnowledgeError(f"Cannot write the knowledge index in {index_dir}: {exc}.") from exc


class HybridRetriever:
    """Ranks document passages for a question by fusing word and meaning matches."""

    def __init__(
        self,
        documents: list[PolicyDocument],
        embeddings: np.ndarray,
        encoder: Encoder,
        fusion: Fusion = "rrf",
        rebuilt: bool = True,
    ) -> None:
        self.documents = {document.id: document for document in documents}
        self.units = units_of(documents)
        if embeddings.shape[0] != len(self.units):
            raise KnowledgeError(
                f"The knowledge index has {embeddings.shape[0]} embeddings for "
                f"{len(self.units)} passages; rebuild it with `hotline kb index`."
            )
        self.lexical = LexicalIndex(self.units, documents)
        self.dense = DenseIndex(embeddings, encoder)
        self.fusion = fusion
        self.rebuilt = rebuilt  # False when the embeddings came from the cache

    @classmethod
    def build(
        cls,
        documents: list[PolicyDocument],
        index_dir: Path | None = None,
        encoder: Encoder | None = None,
        progress: Progress = lambda _message: None,
        fusion: Fusion = "rrf",
    ) -> HybridRetriever:
        """Index `documents`, reusing the embeddings cached in `index_dir` when unchanged."""
        encoder = encoder or default_encoder()
        units = units_of(documents)
        manifest = _manifest(documents, units)
        embeddings = _load_cached(index_dir, manifest) if index_dir else None
        if embeddings is not None:
            progress(f"Knowledge index is up to date ({len(units)} passages, {index_dir}).")
            return cls(documents, embeddings, encoder, fusion, rebuilt=False)
        progress(f"Embedding {len(units)} passages from {len(documents)} documents")
        embeddings = embed_units(units, encoder, progress)
        if index_dir:
            _save(index_dir, manifest, embeddings)
            progress(f"Knowledge index written to {index_dir}.")
        return cls(documents, embeddings, encoder, fusion, rebuilt=True)

    def search(self, question: str, k: int) -> list[Hit]:
        """The `k` best passages for `question`, best first."""
        lexical = self.lexical.scores(question)
        dense = self.dense.scores(question)
        fused = fuse(lexical, dense, self.fusion)
        order = np.argsort(-fused, kind="stable")[:k]
        coverage: dict[str, float] = {}
        hits = []
        for position in order:
            unit = self.units[position]
            if unit.doc_id not in coverage:
                coverage[unit.doc_id] = self.lexical.coverage(question, unit.doc_id)
            hits.append(
                Hit(
                    document=self.documents[unit.doc_id],
                    passage=unit.passage,
                    unit=unit.index,
                    score=float(fused[position]),
                    lexical=float(lexical[position]),
                    dense=float(dense[position]),
                    coverage=coverage[unit.doc_id],
                )
            )
        return hits
