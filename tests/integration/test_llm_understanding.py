"""The LLM command generator on the real embedded model (llama.cpp, Qwen2.5 1.5B): turns the
rules are unsure of are read by the LLM, and what it reads is checked by the session.

Every test asserts the LLM itself answered (`last_source == "llm"`): a fallback to the rules
fails the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue.commands import Command
from bot.dialogue.llm_understanding import SYSTEM_PROMPT, LLMUnderstanding
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.dialogue.work_order_summary import SCHEMA, LLMWorkOrderSummary, summary_request
from bot.flows.flow_set import FlowSet, load_flows
from bot.llm.client import LLMClient, LLMError
from bot.llm.llama_server import LlamaServer
from bot.tickets.ticket import Ticket

pytestmark = pytest.mark.integration
DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"
# The embedded model on 2 cores reads a turn in a few seconds; this bounds a stuck server.
TURN_BUDGET_S = 60


@pytest.fixture(scope="module")
def flow_set() -> FlowSet:
    return load_flows([DIALOGS])


@pytest.fixture(scope="module")
def llm_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    server = LlamaServer.embedded(settings, tmp_path_factory.mktemp("llm") / "llm.log", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def understanding(
    llm_server: LlamaServer, flow_set: FlowSet
) -> AsyncIterator[LLMUnderstanding]:
    client = LLMClient(llm_server.url, "qwen", "", TURN_BUDGET_S)
    reader = LLMUnderstanding(client, LocalUnderstanding(flow_set), flow_set)
    await reader.warm_up()
    yield reader
    await client.close()


async def test_a_problem_without_keywords_starts_a_complaint(
    understanding: LLMUnderstanding,
) -> None:
    said = "对门邻居养了条大狗 天天晚上叫 叫一宿"
    commands = await understanding.understand(said, Expectation("menu", "main"))
    assert understanding.last_source == "llm"
    assert Command(kind="start_flow", flow="complaint") in commands


async def test_an_address_told_with_the_story_is_taken_from_the_callers_words(
    understanding: LLMUnderstanding, flow_set: FlowSet
) -> None:
    slots = flow_set.flows["complaint"].slots
    expectation = Expectation(
        "slot",
        "complaint",
        "address",
        slots["address"],
        {n: s for n, s in slots.items() if n not in ("description", "category")},
        prompt=slots["address"].ask,
    )
    said = "在南山区科技园路18号 那家饭店天天晚上吵到两三点 谁也睡不着"
    commands = await understanding.understand(said, expectation)
    assert understanding.last_source == "llm"
    addresses = [c.value or "" for c in commands if c.slot == "address"]
    assert any("科技园路18号" in value for value in addresses), commands


async def test_an_unresolved_problem_in_other_words(
    understanding: LLMUnderstanding, flow_set: FlowSet
) -> None:
    slots = flow_set.flows["survey"].slots
    expectation = Expectation(
        "slot", "survey", "resolved", slots["resolved"], dict(slots), prompt=slots["resolved"].ask
    )
    commands = await understanding.understand("唉 别提了 跟以前一样", expectation)
    assert understanding.last_source == "llm"
    said_no = Command(kind="deny") in commands or any(
        c.slot == "resolved" and c.value == "false" for c in commands
    )
    assert said_no, commands


async def test_the_work_order_summary_is_written_in_house_style(llm_server: LlamaServer) -> None:
    client = LLMClient(llm_server.url, "qwen", "", TURN_BUDGET_S)
    ticket = Ticket(
        number="202612020001",
        category="城市供暖",
        department="市城市管理局（供热办）",
        address="福田区梅林一村12栋",
        time="从开始供暖就这样",
        description="我家暖气一点都不热，屋里才十四五度，老人孩子都冻感冒了",
        created_at=0,
        updated_at=0,
    )
    summary = await LLMWorkOrderSummary(client).summarize(ticket)
    await client.close()
    assert summary is not None and summary.startswith("市民来电反映")
    assert "暖气" in summary


async def test_a_caller_turn_is_not_kept_waiting_by_a_summary_being_written(
    llm_server: LlamaServer, flow_set: FlowSet
) -> None:
    """The summary (seconds of generation) yields to the turn, and is still written after it."""
    client = LLMClient(llm_server.url, "qwen", "", TURN_BUDGET_S)
    reader = LLMUnderstanding(client, LocalUnderstanding(flow_set), flow_set)
    await reader.warm_up()
    said = "对门邻居养了条大狗 天天晚上叫 叫一宿"
    started = time.perf_counter()
    await reader.understand(said, Expectation("menu", "main"))
    alone_s = time.perf_counter() - started

    ticket = Ticket(
        number="202612020002",
        category="噪音扰民",
        department="区城市管理和综合执法局",
        address="龙华区民治街道沙吓村",
        time="最近一个月每天晚上",
        description="楼下新开了个烧烤摊，每天晚上吵到一两点，油烟往楼上飘，窗户都不敢开",
        created_at=0,
        updated_at=0,
    )
    summary = asyncio.create_task(LLMWorkOrderSummary(client).summarize(ticket))
    async with asyncio.timeout(TURN_BUDGET_S):
        while not client.background_generating:  # the summary's prompt is read
            await asyncio.sleep(0.05)
    started = time.perf_counter()
    commands = await reader.understand(said, Expectation("menu", "main"))
    behind_summary_s = time.perf_counter() - started
    assert reader.last_source == "llm" and commands
    # Interrupted at its next token (a prompt being read cannot be): the turn waits for
    # that token and reads its own words again.
    assert behind_summary_s < alone_s + 2.0, (alone_s, behind_summary_s)
    written = await asyncio.wait_for(summary, TURN_BUDGET_S * 2)
    await client.close()
    assert written is not None and written.startswith("市民来电反映") and "烧烤" in written


async def test_a_turn_given_up_at_its_budget_leaves_no_work_behind(
    llm_server: LlamaServer, flow_set: FlowSet
) -> None:
    """The abandoned answer's stream is closed and the server stops generating it: the next
    turn does not wait for the abandoned one to be written."""
    said = "对门邻居养了条大狗 天天晚上叫 叫一宿"
    reader = LLMUnderstanding(
        LLMClient(llm_server.url, "qwen", "", TURN_BUDGET_S), LocalUnderstanding(flow_set), flow_set
    )
    await reader.warm_up()
    started = time.perf_counter()
    await reader.understand(said, Expectation("menu", "main"))
    alone_s = time.perf_counter() - started
    impatient = LLMClient(llm_server.url, "qwen", "", 1.0)
    ticket = Ticket(
        number="202612020003",
        category="环境卫生",
        department="区城市管理和综合执法局",
        address="宝安区西乡街道盐田社区",
        description="楼下饭馆的油烟直往我家窗户里灌，一股哈喇味，晚上都不敢开窗",
        created_at=0,
        updated_at=0,
    )
    # What finishing the summary costs (its prompt read, then its tokens written), measured
    # here: the machine's speed and load vary, so the bound below is relative to it.
    patient = LLMClient(llm_server.url, "qwen", "", 120.0)
    started = time.perf_counter()
    await patient.json_completion(SYSTEM_PROMPT, summary_request(ticket), SCHEMA, 160)
    whole_summary_s = time.perf_counter() - started
    await patient.close()
    with pytest.raises(LLMError):  # the same summary given up after one second
        await impatient.json_completion(SYSTEM_PROMPT, summary_request(ticket), SCHEMA, 160)
    started = time.perf_counter()
    await reader.understand(said, Expectation("menu", "main"))
    after_s = time.perf_counter() - started
    await impatient.close()
    assert reader.last_source == "llm"
    # It waits only for the rest of the abandoned prompt's reading (a prompt being read
    # cannot be stopped), not for the tokens that would have followed: well under what the
    # rest of the whole summary would have cost.
    waited_s = after_s - alone_s
    assert waited_s < (whole_summary_s - 1.0) * 0.6, (alone_s, after_s, whole_summary_s)
