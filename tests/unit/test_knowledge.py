"""Policy knowledge base: strict document loading, hybrid retrieval, grounded or refused answers.

Runs on five small fixture documents (tests/unit/knowledge_fixtures), not the shipped set, with
the real bundled e5 model (a fixture index builds in about two seconds on one core).
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings, load_settings
from bot.knowledge.answers import NOT_GROUNDED, KnowledgeBase
from bot.knowledge.cli import add_kb_commands, run_kb
from bot.knowledge.dense_index import default_encoder
from bot.knowledge.documents import KnowledgeError, load_documents, parse_document
from bot.knowledge.retriever import HybridRetriever

FIXTURES = Path(__file__).parent / "knowledge_fixtures"
MIN_SCORE = 0.6  # the calibrated grounding threshold (see bot/knowledge/answers.py)

VALID = """---
title: 测试指南
department: 测试部门
source: 《测试办法》
effective_date: 2024-01-01
questions:
  - 怎么测试
sample: true
---
第一段是标准答复。

第二段是
跨两行的细节。
"""


class CountingEncoder:
    """The real e5 model, counting how many passages it embeds."""

    def __init__(self) -> None:
        self.passages = 0
        self._model = default_encoder()

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.query(texts)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        self.passages += len(texts)
        return self._model.passage(texts)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return KnowledgeBase.open(FIXTURES, tmp_path_factory.mktemp("kb-index"), 3, MIN_SCORE)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- documents --------------------------------------------------------------------------------


def test_fixture_documents_load_with_answer_and_passages() -> None:
    documents = load_documents(FIXTURES)
    assert [d.id for d in documents] == sorted(d.id for d in documents)
    assert len(documents) == 5
    fund = next(d for d in documents if d.id == "housing-fund-withdrawal")
    assert fund.title == "住房公积金提取办理指南"
    assert fund.standard_answer.startswith("购房、租房、退休等情形可以提取住房公积金")
    assert len(fund.passages) == 4
    assert fund.effective_date.isoformat() == "2024-01-01"


def test_paragraph_lines_are_joined_and_readme_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# 说明\n")
    write(tmp_path, "test-doc.md", VALID)
    [document] = load_documents(tmp_path)
    assert document.passages == ["第一段是标准答复。", "第二段是跨两行的细节。"]
    assert document.sample is True


def test_bad_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad-yaml.md", VALID.replace("title: 测试指南", "title: [未闭合"))
    with pytest.raises(KnowledgeError, match=r"bad-yaml\.md:\d+ has invalid YAML front matter"):
        parse_document(path)


def test_missing_title_names_the_file_and_field(tmp_path: Path) -> None:
    write(tmp_path, "no-title.md", VALID.replace("title: 测试指南\n", ""))
    with pytest.raises(
        KnowledgeError, match=r"no-title\.md is missing the front-matter field 'title'"
    ):
        load_documents(tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty-body.md", VALID.split("第一段")[0], r"empty-body\.md has an empty body"),
        ("no-front.md", "只有正文。\n", r"no-front\.md has no YAML front matter"),
        (
            "bad-date.md",
            VALID.replace("2024-01-01", "明年"),
            r"bad-date\.md has a bad front-matter field 'effective_date'",
        ),
        (
            "extra.md",
            VALID.replace("sample: true", "sample: true\nowner: 某人"),
            r"extra\.md has the unknown front-matter field 'owner'",
        ),
        ("Bad_Name.md", VALID, r"Bad_Name\.md has a bad file name"),
    ],
)
def test_other_document_errors_are_one_clear_sentence(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(KnowledgeError, match=message):
        parse_document(write(tmp_path, name, text))


def test_missing_or_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_documents(tmp_path / "nowhere")
    with pytest.raises(KnowledgeError, match="holds no policy documents"):
        load_documents(tmp_path)


# --- retrieval and answers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("租房能不能取公积金", "housing-fund-withdrawal"),
        ("离职了公积金能取吗", "housing-fund-withdrawal"),
        ("外地人怎么办居住证", "residence-permit"),
        ("暂住证怎么办", "residence-permit"),
        ("社保卡不见了怎么办", "social-security-card"),
        ("补社保卡收费吗", "social-security-card"),
        ("研究生购房补贴多少", "talent-housing-subsidy"),
        ("大学生买房子有钱补吗", "talent-housing-subsidy"),
        ("狗证去哪办", "dog-registration"),
        ("犬只年检多少钱", "dog-registration"),
    ],
)
def test_paraphrased_questions_find_the_right_document(
    kb: KnowledgeBase, question: str, doc_id: str
) -> None:
    hits = kb.retriever.search(question, 3)
    assert hits[0].document.id == doc_id
    assert len(hits) == 3
    assert hits[0].score >= hits[1].score


def test_detail_questions_can_return_a_later_passage(kb: KnowledgeBase) -> None:
    hit = kb.retriever.search("犬只年检多少钱", 1)[0]
    assert hit.unit > 0
    assert "年检" in hit.passage


@pytest.mark.parametrize("question", ["租房能不能取公积金", "外地人怎么办居住证", "狗证去哪办"])
def test_confident_answers_quote_the_standard_answer(kb: KnowledgeBase, question: str) -> None:
    answer = kb.answer(question)
    assert answer.grounded
    document = kb.retriever.documents[answer.sources[0].doc_id]
    assert answer.text == f"根据《{document.title}》，{document.standard_answer}"
    assert answer.sources[0].score >= MIN_SCORE
    assert answer.sources[0].department == document.department


@pytest.mark.parametrize(
    "question",
    ["月球上买房有什么补贴", "今天天气怎么样", "帮我订一张机票", "护照怎么办理", "给我讲个笑话"],
)
def test_out_of_scope_questions_are_refused(kb: KnowledgeBase, question: str) -> None:
    answer = kb.answer(question)
    assert not answer.grounded
    assert answer.text == NOT_GROUNDED
    assert all(source.score < MIN_SCORE for source in answer.sources[:1])


# --- index cache ------------------------------------------------------------------------------


def test_index_is_reused_when_unchanged_and_rebuilt_when_a_document_changes(
    tmp_path: Path,
) -> None:
    documents_dir = shutil.copytree(FIXTURES, tmp_path / "docs")
    index_dir = tmp_path / "index"
    encoder = CountingEncoder()
    messages: list[str] = []

    first = HybridRetriever.build(
        load_documents(documents_dir), index_dir, encoder, messages.append
    )
    units = len(first.units)
    assert first.rebuilt and encoder.passages == units
    assert f"  embedded 10/{units} passages" in messages
    assert (index_dir / "embeddings.npy").is_file()
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["documents"]) == {d.id for d in load_documents(documents_dir)}

    again = HybridRetriever.build(load_documents(documents_dir), index_dir, encoder)
    assert not again.rebuilt and encoder.passages == units
    assert np.array_equal(again.dense.embeddings, first.dense.embeddings)

    path = documents_dir / "dog-registration.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n导盲犬免收登记费。\n", encoding="utf-8")
    changed = HybridRetriever.build(load_documents(documents_dir), index_dir, encoder)
    assert changed.rebuilt and len(changed.units) == units + 1
    assert encoder.passages == 2 * units + 1

    (documents_dir / "residence-permit.md").unlink()
    removed = HybridRetriever.build(load_documents(documents_dir), index_dir, encoder)
    assert removed.rebuilt and "residence-permit" not in removed.documents


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    documents = load_documents(FIXTURES)
    HybridRetriever.build(documents, tmp_path)
    (tmp_path / "embeddings.npy").write_bytes(b"not numpy")
    assert HybridRetriever.build(documents, tmp_path).rebuilt


# --- command line -----------------------------------------------------------------------------


@pytest.fixture
def kb_settings(tmp_path: Path) -> Settings:
    settings = load_settings()
    knowledge = settings.knowledge.model_copy(
        update={"documents_dir": FIXTURES, "index_dir": tmp_path / "index", "min_score": MIN_SCORE}
    )
    return settings.model_copy(update={"knowledge": knowledge})


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hotline")
    add_kb_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_index_reports_progress_on_stderr(
    kb_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_kb(parse(["kb", "index"]), kb_settings) == 0
    err = capsys.readouterr().err
    assert "Embedding 16 passages from 5 documents" in err
    assert "Knowledge base ready: 5 documents, 16 passages" in err
    assert run_kb(parse(["kb", "index"]), kb_settings) == 0
    assert "up to date" in capsys.readouterr().err


def test_cli_ask_json_shape(kb_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kb(parse(["kb", "ask", "租房能不能取公积金", "--json"]), kb_settings) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"question", "answer", "grounded", "sources"}
    assert result["question"] == "租房能不能取公积金"
    assert result["grounded"] is True
    assert result["answer"].startswith("根据《住房公积金提取办理指南》，")
    assert set(result["sources"][0]) == {"doc_id", "title", "department", "score"}
    assert result["sources"][0]["doc_id"] == "housing-fund-withdrawal"

    assert run_kb(parse(["kb", "ask", "今天天气怎么样", "--json"]), kb_settings) == 0
    out = capsys.readouterr().out
    assert "抱歉" in out  # ensure_ascii=False: Chinese is printed as is
    assert json.loads(out)["grounded"] is False


def test_cli_ask_human_text(kb_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kb(parse(["kb", "ask", "狗证去哪办"]), kb_settings) == 0
    out = capsys.readouterr().out
    assert "grounded: yes" in out
    assert "1. dog-registration 《养犬登记办理指南》" in out


def test_cli_bad_document_exits_2_with_one_sentence(
    kb_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    documents_dir = shutil.copytree(FIXTURES, tmp_path / "docs")
    write(documents_dir, "broken.md", VALID.replace("department: 测试部门\n", ""))
    knowledge = kb_settings.knowledge.model_copy(update={"documents_dir": documents_dir})
    settings = kb_settings.model_copy(update={"knowledge": knowledge})
    assert run_kb(parse(["kb", "ask", "狗证去哪办"]), settings) == 2
    err = capsys.readouterr().err
    assert "broken.md is missing the front-matter field 'department'" in err
