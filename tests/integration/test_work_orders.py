"""Work orders and follow-ups on a real Redis: what a 12345 agent opens is what the caller said,
with its evidence, the department and why, and a summary added after the call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.dialogue.effects import HotlineEffects, WorkOrderDraft
from bot.knowledge.answers import KnowledgeAnswer
from bot.tickets.store import TicketStore
from bot.tickets.ticket import Ticket
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.integration
DEPARTMENTS = {"城市供暖": "市城市管理局（供热办）"}


class NoKnowledge:
    def answer(self, question: str) -> KnowledgeAnswer:
        return KnowledgeAnswer(grounded=False, text="")


class HouseStyle:
    """A summarizer standing in for the LLM (its own test runs on the real model)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def summarize(self, ticket: Ticket) -> str | None:
        self.asked.set()
        return f"市民来电反映{ticket.description}，诉求尽快处理。"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def store(redis_server: PrivateRedis) -> AsyncIterator[TicketStore]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True, socket_timeout=2)
    yield TicketStore(client, "t")
    await client.aclose()


async def eventually_summarised(store: TicketStore, number: str, timeout: float) -> Ticket:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticket = await store.get(number)
        if ticket is not None and ticket.summary:
            return ticket
        await asyncio.sleep(0.05)
    raise AssertionError("the summary never reached the ticket")


async def test_a_work_order_keeps_the_account_evidence_and_the_reason(
    store: TicketStore,
) -> None:
    summarizer = HouseStyle()
    effects = HotlineEffects(store, NoKnowledge(), DEPARTMENTS, "派单中心", summarizer)
    account = "我家暖气一点都不热，屋里才十几度"
    draft = WorkOrderDraft(
        {
            "category": "城市供暖",
            "address": "福田区梅林一村12栋",
            "description": account,
            "contact_name": "王",
            "contact_phone": "13912345678",
        },
        {"address": "在福田区梅林一村12栋", "contact_name": "我姓王", "category": account},
        category_words="我家暖气一点都不热",
    )
    ticket = await effects.create_ticket("call-1", draft)
    stored = await eventually_summarised(store, ticket.number, timeout=5)
    assert stored.description == account
    assert stored.department == "市城市管理局（供热办）"
    assert stored.department_reason is not None and "我家暖气一点都不热" in stored.department_reason
    assert stored.evidence["contact_name"] == "我姓王"
    assert stored.summary == f"市民来电反映{account}，诉求尽快处理。"
    assert stored.transcript == "/api/calls/call-1"
    await effects.close()


async def test_a_follow_up_finds_the_callers_latest_ticket_and_is_recorded(
    store: TicketStore,
) -> None:
    effects = HotlineEffects(store, NoKnowledge(), DEPARTMENTS, "派单中心")
    older = await effects.create_ticket("a", WorkOrderDraft({"contact_phone": "13800000001"}, {}))
    newer = await effects.create_ticket("b", WorkOrderDraft({"contact_phone": "13800000001"}, {}))
    assert older.number != newer.number
    found = await effects.find_ticket(None, "13800000001")
    assert found is not None and found.number == newer.number
    assert (await effects.find_ticket(older.number, None)).number == older.number  # type: ignore[union-attr]
    await effects.record_follow_up(older.number, "c", "怎么还没人处理，帮我催一下")
    [follow_up] = (await store.get(older.number)).follow_ups  # type: ignore[union-attr]
    assert follow_up.urged and follow_up.said == "怎么还没人处理，帮我催一下"
    assert await effects.find_ticket(None, "13899999999") is None


async def test_a_ticket_survives_a_short_redis_restart(
    redis_server: PrivateRedis, store: TicketStore
) -> None:
    effects = HotlineEffects(store, NoKnowledge(), DEPARTMENTS, "派单中心")
    redis_server.stop()
    restart = asyncio.get_running_loop().call_later(1.0, redis_server.start)
    ticket = await effects.create_ticket("c", WorkOrderDraft({"description": "井盖丢了"}, {}))
    restart.cancel()
    stored = await store.get(ticket.number)
    assert stored is not None and stored.description == "井盖丢了"
