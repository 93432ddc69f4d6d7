"""Every shipped flow, scripted through `hotline chat --json`, with local and LLM understanding.

The LLM runs are against the real embedded llama.cpp server (Qwen2.5 1.5B from the packages).
"""

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
import redis.asyncio as redis

from bot.config import Settings
from bot.llm.llama_server import LlamaServer
from bot.tickets.store import TicketStore
from bot.tickets.ticket import Ticket
from tests.support.chat import events, run_chat

PREFIX = f"hotline-chat-test-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def llm_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = LlamaServer.embedded(settings, tmp_path_factory.mktemp("llm") / "llm.log", port=0)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(params=["local", "llm"])
def chat_env(request: pytest.FixtureRequest) -> dict[str, str]:
    env = {"HOTLINE_REDIS__KEY_PREFIX": PREFIX, "HOTLINE_DIALOGUE__UNDERSTANDING": request.param}
    if request.param == "llm":
        env["HOTLINE_LLM__URL"] = request.getfixturevalue("llm_url")
    return env


def test_complaint_becomes_a_ticket_read_back_digit_by_digit(chat_env: dict[str, str]) -> None:
    turns = run_chat("complaint.txt", env=chat_env)
    [created] = events(turns, "ticket_created")
    ticket = created["ticket"]
    assert ticket["category"] == "噪音扰民"
    assert ticket["department"] == "市生态环境局"
    assert "科技园路18号" in ticket["address"]
    assert ticket["contact_phone"] == "13800138000"
    assert ticket["time"] == "晚上十点以后"
    assert ticket["number"].startswith(time.strftime("%Y%m%d"))
    spoken = "".join("零幺二三四五六七八九"[int(d)] for d in ticket["number"])
    assert spoken in turns[-1]["bot"]  # read back digit by digit, 1 as 幺
    assert events(turns, "hangup")


def test_policy_question_is_answered_from_the_knowledge_base(chat_env: dict[str, str]) -> None:
    turns = run_chat("policy_qa.txt", env=chat_env)
    [answer] = events(turns, "answer")
    assert answer["grounded"] is True
    assert answer["sources"][0]["doc_id"] == "housing-fund-withdrawal"
    assert "根据《住房公积金提取办理指南》" in turns[1]["bot"]
    assert events(turns, "hangup")


def test_ungrounded_question_gets_no_invented_answer(chat_env: dict[str, str]) -> None:
    turns = run_chat("ungrounded.txt", env=chat_env)
    [answer] = events(turns, "answer")
    assert answer["grounded"] is False
    assert "根据《" not in turns[1]["bot"]
    assert "无法确认" in turns[1]["bot"] and "人工" in turns[1]["bot"]
    assert turns[2]["flow"] == "main"  # declined the person, back at the menu


def test_caller_asks_for_a_person(chat_env: dict[str, str]) -> None:
    turns = run_chat("handoff.txt", env=chat_env)
    [transfer] = events(turns, "transfer")
    assert (transfer["reason"], transfer["flow"]) == ("caller_request", "handoff")


def test_emergency_words_transfer_at_once(chat_env: dict[str, str]) -> None:
    turns = run_chat("emergency.txt", env=chat_env)
    assert [e["reason"] for e in events(turns, "transfer")] == ["emergency"]
    assert "119" in turns[1]["bot"] and "120" in turns[1]["bot"] and "110" in turns[1]["bot"]


def test_keypad_menu_and_silence(chat_env: dict[str, str]) -> None:
    turns = run_chat("keypad_and_silence.txt", env=chat_env)
    assert turns[1]["flow"] == "policy_qa"
    assert events(turns, "answer")[0]["grounded"] is True
    assert "您还在吗" in turns[3]["bot"] and "您还在吗" in turns[4]["bot"]
    assert events(turns, "hangup") and "再见" in turns[5]["bot"]


async def _open_ticket() -> str:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    store = TicketStore(client, PREFIX)
    number = await store.next_number(__import__("datetime").date.today())
    now = time.time()
    await store.save(
        Ticket(
            number=number,
            category="噪音扰民",
            department="市生态环境局",
            created_at=now,
            updated_at=now,
        )
    )
    await client.aclose()
    return number


async def _ticket(number: str) -> Ticket:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    ticket = await TicketStore(client, PREFIX).get(number)
    await client.aclose()
    assert ticket is not None
    return ticket


def survey_args(number: str) -> list[str]:
    return [
        "--flow",
        "survey",
        "--data",
        "contact_name=王先生",
        "--data",
        f"ticket={number}",
        "--data",
        "ticket_category=噪音扰民",
    ]


def test_satisfaction_survey_is_recorded_on_the_ticket(chat_env: dict[str, str]) -> None:
    number = asyncio.run(_open_ticket())
    turns = run_chat("survey.txt", *survey_args(number), env=chat_env)
    assert "王先生" in turns[0]["bot"]
    [recorded] = events(turns, "survey_recorded")
    assert recorded["survey"]["resolved"] is True
    assert recorded["survey"]["satisfaction"] == "satisfied"
    survey = asyncio.run(_ticket(number)).surveys[-1]
    assert (survey.resolved, survey.satisfaction) == (True, "satisfied")


def test_survey_call_later(chat_env: dict[str, str]) -> None:
    number = asyncio.run(_open_ticket())
    turns = run_chat("survey_call_later.txt", *survey_args(number), env=chat_env)
    [recorded] = events(turns, "survey_recorded")
    assert recorded["survey"]["callback_time"] == "15:00"
    assert events(turns, "hangup")


def test_unsure_requests_are_read_by_the_llm(chat_env: dict[str, str]) -> None:
    """A problem told without any word the rules route by: the rules guess a complaint; the
    LLM, where configured, reads it (and must really answer)."""
    turns = run_chat("llm_consulted.txt", env=chat_env)
    assert turns[1]["flow"] == "complaint"
    expected = "llm" if chat_env["HOTLINE_DIALOGUE__UNDERSTANDING"] == "llm" else "local"
    assert turns[1]["understood_by"] == expected


@pytest.mark.parametrize(
    ("script", "reason"), [("anger.txt", "anger"), ("human_only.txt", "human_only")]
)
def test_anger_and_human_only_topics_go_to_a_person(
    chat_env: dict[str, str], script: str, reason: str
) -> None:
    turns = run_chat(script, env=chat_env)
    assert [e["reason"] for e in events(turns, "transfer")] == [reason]
    assert "转接" in turns[1]["bot"]
