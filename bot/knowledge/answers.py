"""Grounded answers: the approved wording of the best document, or an honest hand-over.

The bot never composes policy text. It reads out a document's standard answer, naming the
document, and only when the match is confident; otherwise it offers a human agent, because a
wrong policy answer on a government hotline costs more than a transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.dense_index import Encoder
from bot.knowledge.documents import PolicyDocument, load_documents
from bot.knowledge.question_text import retrieval_text
from bot.knowledge.retriever import Hit, HybridRetriever, Progress

NOT_GROUNDED = "抱歉，这个问题我暂时无法确认，建议您咨询人工客服。我可以为您转接人工。"
# Cosine similarities of multilingual-e5-small sit in a narrow band: unrelated Mandarin
# sentences score about 0.80, a question and the passage answering it about 0.90-0.95.
DENSE_FLOOR = 0.80
DENSE_CEILING = 0.94
DENSE_WEIGHT = 0.5


def answer_text(document: PolicyDocument) -> str:
    """The spoken answer: the source named first, then the approved standard answer."""
    return f"根据《{document.title}》，{document.standard_answer}"


def confidence(hit: Hit) -> float:
    """How sure we are that `hit` answers the question, 0..1; compared with min_score.

    Meaning (the e5 cosine, rescaled over its useful band) and words (how much of the
    question's information the document covers) are averaged: a paraphrase scores on meaning,
    and a question about something the documents never mention (月球, 机票) loses on words.
    Calibrated on 97 paraphrased questions and 63 out-of-scope ones (28 shipped documents
    plus the test fixtures): at 0.6 all plainly out-of-scope questions are refused and about
    nine in ten paraphrases are answered; lower thresholds answer more but start grounding
    out-of-scope questions.
    """
    dense = (hit.dense - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)
    dense = min(max(dense, 0.0), 1.0)
    return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * hit.coverage


@dataclass(frozen=True)
class Source:
    doc_id: str
    title: str
    department: str
    score: float  # confidence, 0..1


@dataclass(frozen=True)
class KnowledgeAnswer:
    grounded: bool
    text: str
    sources: list[Source] = field(default_factory=list)
    # Not grounded, but the best document is likely what the caller means: its answer, given
    # once the caller confirms it (sources[0] is that document).
    unconfirmed: str | None = None


class KnowledgeBase:
    """Answers policy questions from the documents, or declines."""

    def __init__(
        self,
        retriever: HybridRetriever,
        top_k: int,
        min_score: float,
        confirm_score: float | None = None,
    ) -> None:
        self.retriever = retriever
        self.top_k = top_k
        self.min_score = min_score
        self.confirm_score = min_score if confirm_score is None else confirm_score

    @classmethod
    def open(
        cls,
        documents_dir: Path,
        index_dir: Path,
        top_k: int,
        min_score: float,
        progress: Progress = lambda _message: None,
        encoder: Encoder | None = None,
        confirm_score: float | None = None,
    ) -> KnowledgeBase:
        """Load the documents and the index, rebuilding the index if any document changed."""
        documents = load_documents(documents_dir)
        retriever = HybridRetriever.build(documents, index_dir, encoder, progress)
        return cls(retriever, top_k, min_score, confirm_score)

    def sources(self, question: str) -> list[Source]:
        """The documents behind the best passages, in rank order, each scored by its top hit."""
        sources: dict[str, Source] = {}
        for hit in self.retriever.search(retrieval_text(question), self.top_k):
            document = hit.document
            if document.id not in sources:
                score = round(confidence(hit), 3)
                sources[document.id] = Source(
                    document.id, document.title, document.department, score
                )
        return list(sources.values())

    def answer(self, question: str) -> KnowledgeAnswer:
        """The grounded standard answer of the best document, or the hand-over sentence."""
        question = question.strip()
        if not question:
            return KnowledgeAnswer(grounded=False, text=NOT_GROUNDED)
        sources = self.sources(question)
        if not sources or sources[0].score < self.confirm_score:
            return KnowledgeAnswer(grounded=False, text=NOT_GROUNDED, sources=sources)
        text = answer_text(self.retriever.documents[sources[0].doc_id])
        if sources[0].score < self.min_score:
            return KnowledgeAnswer(False, NOT_GROUNDED, sources, unconfirmed=text)
        return KnowledgeAnswer(grounded=True, text=text, sources=sources)

    def answer_texts(self) -> list[str]:
        """Every grounded answer the bot can give (known ahead, so speech can be cached)."""
        return [answer_text(document) for document in self.retriever.documents.values()]
