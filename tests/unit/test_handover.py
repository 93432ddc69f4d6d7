"""The agent's summary of an escalated call, from its record."""

import time
from typing import Any

from bot.calls.handover import handover, write_summary
from bot.calls.record import CallRecord, Turn
from bot.llm.client import LLMClient, LLMError


def escalated_call() -> CallRecord:
    return CallRecord(
        id="c1",
        channel="sip",
        caller="13800138000",
        started_at=time.time(),
        turns=[
            Turn(index=0, bot_text="您好，请问有什么可以帮您？"),
            Turn(index=1, caller_text="楼下工地晚上施工太吵了", bot_text="请问具体地址？"),
            Turn(index=2, caller_text="你们这些废物", bot_text="正在为您转接"),
        ],
        events=[
            {"type": "ticket_created", "ticket": {"number": "202611240007"}},
            {
                "type": "transfer",
                "reason": "anger",
                "flow": "complaint",
                "at": 1.0,
                "slots": {"category": "噪音扰民"},
                "caller_said": ["楼下工地晚上施工太吵了"],
            },
        ],
    )


def test_summary_names_need_details_ticket_and_reason() -> None:
    context = handover(escalated_call())
    assert context["summary"] == (
        "来电号码 13800138000。诉求：楼下工地晚上施工太吵了。已收集：category=噪音扰民。"
        "工单号：202611240007。转人工原因：市民情绪激动。"
    )
    assert (context["reason"], context["flow"], context["tickets"]) == (
        "anger",
        "complaint",
        ["202611240007"],
    )
    assert [turn["caller"] for turn in context["transcript"]] == [
        None,
        "楼下工地晚上施工太吵了",
        "你们这些废物",
    ]


def test_a_call_that_was_not_escalated_has_a_plain_summary() -> None:
    record = CallRecord(id="c2", channel="webrtc", started_at=time.time())
    assert handover(record)["summary"] == "来电号码 未知。诉求：（未说明）。"


class FakeLLM(LLMClient):
    """The LLM server's boundary: what it is asked, and its reply (or its failure)."""

    def __init__(self, reply: dict[str, Any] | None) -> None:
        self.reply = reply
        self.asked: list[str] = []

    async def json_completion(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int = 96
    ) -> dict[str, Any]:
        self.asked.append(user)
        if self.reply is None:
            raise LLMError("the LLM did not answer within its latency budget")
        return self.reply


async def test_an_llm_summary_is_shown_first_and_the_structured_one_kept() -> None:
    record = escalated_call()
    llm = FakeLLM({"summary": "市民投诉楼下工地夜间施工噪音，情绪激动，已建工单202611240007。"})
    text = await write_summary(llm, record)
    assert text == "市民投诉楼下工地夜间施工噪音，情绪激动，已建工单202611240007。"
    # The LLM reads the structured facts and the whole conversation.
    assert "工单号：202611240007" in llm.asked[0] and "市民：你们这些废物" in llm.asked[0]
    record.events.append({"type": "summary", "text": text, "at": time.time()})
    context = handover(record)
    assert (context["summary"], context["summary_by"]) == (text, "llm")
    assert context["structured_summary"].startswith("来电号码 13800138000。")


async def test_without_the_llm_the_structured_summary_stands() -> None:
    record = escalated_call()
    assert await write_summary(FakeLLM(None), record) is None
    assert await write_summary(FakeLLM({"summary": "  "}), record) is None
    assert handover(record)["summary_by"] == "record"
