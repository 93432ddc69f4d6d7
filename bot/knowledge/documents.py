"""Policy documents: one Markdown file per topic, YAML front matter plus the spoken answer.

Files are validated on load so a centre editing its answers gets one sentence naming the file
and the field at fault, rather than a bot that quietly answers from a broken document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DOCUMENT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?(.*)\Z", re.S | re.M)
# Files in the documents folder that describe the folder rather than a policy.
SKIPPED_FILES = {"readme.md"}


class KnowledgeError(Exception):
    """A policy document or index the bot refuses to answer from."""


class PolicyDocument(BaseModel):
    """One policy topic: who owns it, what it is based on, and the approved wording."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=DOCUMENT_ID.pattern)
    title: str = Field(min_length=1)
    department: str = Field(min_length=1)
    source: str = Field(min_length=1)
    effective_date: date
    questions: list[str] = Field(min_length=1)
    sample: bool = False
    body: str = Field(min_length=1)
    # SHA-256 of the file's bytes: the index is rebuilt when any document changes.
    content_hash: str = ""

    @property
    def passages(self) -> list[str]:
        """Body paragraphs (blank-line separated), lines of a paragraph joined."""
        paragraphs = re.split(r"\n[ \t]*\n", self.body.strip())
        return [
            "".join(line.strip() for line in paragraph.splitlines())
            for paragraph in paragraphs
            if paragraph.strip()
        ]

    @property
    def standard_answer(self) -> str:
        """The first paragraph: the wording read to callers."""
        return self.passages[0]


@dataclass(frozen=True)
class Unit:
    """A piece of a document that is indexed and can be returned as a hit.

    Unit 0 of a document is its summary (title, caller questions, standard answer); units
    1..n are its later paragraphs, indexed on their own so detail questions can find them.
    """

    doc_id: str
    index: int
    text: str  # what is indexed
    passage: str  # what is returned to the caller


def units_of(documents: list[PolicyDocument]) -> list[Unit]:
    units: list[Unit] = []
    for document in documents:
        passages = document.passages
        summary = "\n".join([document.title, *document.questions, passages[0]])
        units.append(Unit(document.id, 0, summary, passages[0]))
        for index, passage in enumerate(passages[1:], start=1):
            units.append(Unit(document.id, index, f"{document.title}：{passage}", passage))
    return units


def _field_error(path: Path, error: ValidationError) -> KnowledgeError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    if field == "id":
        return KnowledgeError(
            f"Policy document {path} has a bad file name: the document id must be lowercase "
            "ASCII words joined by hyphens, e.g. housing-fund-withdrawal.md."
        )
    if field == "body":
        return KnowledgeError(
            f"Policy document {path} has an empty body; its first paragraph must be the "
            "standard answer."
        )
    if first["type"] == "missing":
        return KnowledgeError(
            f"Policy document {path} is missing the front-matter field '{field}'."
        )
    if first["type"] == "extra_forbidden":
        return KnowledgeError(
            f"Policy document {path} has the unknown front-matter field '{field}'."
        )
    return KnowledgeError(
        f"Policy document {path} has a bad front-matter field '{field}' "
        f"({first.get('input')!r}): {first['msg']}."
    )


def parse_document(path: Path) -> PolicyDocument:
    """Read and validate one document, raising KnowledgeError naming the file and field."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise KnowledgeError(f"Cannot read policy document {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"Policy document {path} is not UTF-8 text.") from exc
    match = FRONT_MATTER.match(text)
    if match is None:
        raise KnowledgeError(
            f"Policy document {path} has no YAML front matter (a block between two '---' lines "
            "at the top)."
        )
    try:
        meta: Any = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 2}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise KnowledgeError(
            f"Policy document {where} has invalid YAML front matter: {problem}."
        ) from exc
    if not isinstance(meta, dict):
        raise KnowledgeError(
            f"Policy document {path} front matter must be a mapping of fields, not {meta!r}."
        )
    reserved = {"id", "body", "content_hash"} & meta.keys()
    if reserved:
        raise KnowledgeError(
            f"Policy document {path} has the unknown front-matter field '{sorted(reserved)[0]}'."
        )
    try:
        return PolicyDocument(
            **meta,
            id=path.stem,
            body=match.group(2).strip(),
            content_hash=hashlib.sha256(raw).hexdigest(),
        )
    except ValidationError as exc:
        raise _field_error(path, exc) from exc


def load_documents(folder: Path) -> list[PolicyDocument]:
    """Every `*.md` policy document in `folder` (README.md excepted), sorted by id."""
    if not folder.is_dir():
        raise KnowledgeError(f"Knowledge folder {folder} does not exist.")
    paths = sorted(p for p in folder.glob("*.md") if p.name.lower() not in SKIPPED_FILES)
    if not paths:
        raise KnowledgeError(f"Knowledge folder {folder} holds no policy documents (*.md).")
    return [parse_document(path) for path in paths]
