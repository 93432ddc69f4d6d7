"""The agent's summary of an escalated call, from its record."""

import time

from bot.calls.handover import handover
from bot.calls.record import CallRecord, Turn


def test_summary_names_need_details_ticket_and_reason() -> None:
    record = CallRecord(
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
    context = handover(record)
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
