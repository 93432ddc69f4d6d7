"""`hotline kb index` and `hotline kb ask QUESTION [--json]`: build and try the knowledge base."""

from __future__ import annotations

import argparse
import json
import sys
import time

from bot.config import Settings
from bot.knowledge.answers import KnowledgeAnswer, KnowledgeBase
from bot.knowledge.documents import KnowledgeError


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_kb_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `kb` command group to the `hotline` command line."""
    kb = subparsers.add_parser("kb", help="policy knowledge base (标准答复口径)")
    commands = kb.add_subparsers(dest="kb_command", required=True)
    commands.add_parser("index", help="build or refresh the index of the policy documents")
    ask = commands.add_parser("ask", help="answer one question from the policy documents")
    ask.add_argument("question", help="the question, as a caller would say it")
    ask.add_argument("--json", action="store_true", help="print one JSON object")


def _open(settings: Settings) -> KnowledgeBase:
    config = settings.knowledge
    return KnowledgeBase.open(
        settings.project_path(config.documents_dir),
        settings.project_path(config.index_dir),
        config.top_k,
        config.min_score,
        _progress,
    )


def _print_answer(question: str, answer: KnowledgeAnswer, as_json: bool) -> None:
    sources = [
        {"doc_id": s.doc_id, "title": s.title, "department": s.department, "score": s.score}
        for s in answer.sources
    ]
    if as_json:
        result = {
            "question": question,
            "answer": answer.text,
            "grounded": answer.grounded,
            "sources": sources,
        }
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"问题: {question}")
    print(f"答复: {answer.text}")
    print(f"grounded: {'yes' if answer.grounded else 'no'}")
    print("sources:")
    for rank, source in enumerate(answer.sources, start=1):
        print(
            f"  {rank}. {source.doc_id} 《{source.title}》 {source.department} "
            f"score {source.score:.3f}"
        )


def run_kb(args: argparse.Namespace, settings: Settings) -> int:
    """Run `kb index` or `kb ask`; 2 with one sentence on stderr when a document is bad."""
    try:
        if args.kb_command == "index":
            started = time.monotonic()
            kb = _open(settings)
            retriever = kb.retriever
            _progress(
                f"Knowledge base ready: {len(retriever.documents)} documents, "
                f"{len(retriever.units)} passages, in {time.monotonic() - started:.1f} s."
            )
            return 0
        answer = _open(settings).answer(args.question)
        _print_answer(args.question, answer, args.json)
        return 0
    except KnowledgeError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
