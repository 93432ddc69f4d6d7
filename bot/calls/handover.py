"""What an agent needs when a call is handed over: a summary and the transcript.

The structured summary is built from the call's record and is always there: the caller's
need in their own words, what the bot had collected, tickets opened, and why it escalated.
Where an LLM is configured it also writes a short summary in prose at escalation time; the
agent sees that one first, and the structured one whenever the LLM is down or slow.
"""

from __future__ import annotations

from typing import Any

from bot.calls.record import CallRecord
from bot.dialogue.events import TicketCreated, Transfer
from bot.llm.client import LLMClient, LLMError

SUMMARY_SYSTEM = (
    "你是12345政务服务热线的助手。根据机器人和市民的通话记录，为接听的人工客服写一句话摘要"
    "（不超过80字）：市民的诉求、已收集的关键信息（地址、时间、工单号）、转人工的原因。"
    "只写记录里有的内容，不要编造。"
)
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "maxLength": 160}},
    "required": ["summary"],
}

REASONS = {
    "caller_request": "市民要求转人工",
    "emergency": "紧急情况",
    "anger": "市民情绪激动",
    "human_only": "需人工办理的事项",
    "silence": "长时间无应答",
    "system_error": "系统故障",
    "collect_failed": "多次未能听懂",
}


def handover(record: CallRecord) -> dict[str, Any]:
    """The agent's view of a call that was (or is being) escalated."""
    transfers = record.dialogue_events(Transfer)
    transfer = transfers[-1] if transfers else None
    tickets = [str(event.ticket["number"]) for event in record.dialogue_events(TicketCreated)]
    said = [turn.caller_text for turn in record.turns if turn.caller_text]
    reason = transfer.reason if transfer else None
    need = "；".join((transfer.caller_said if transfer else None) or said[:2]) or "（未说明）"
    slots = transfer.slots if transfer else {}
    parts = [f"来电号码 {record.caller or '未知'}", f"诉求：{need}"]
    if slots:
        parts.append("已收集：" + "，".join(f"{name}={value}" for name, value in slots.items()))
    if tickets:
        parts.append("工单号：" + "、".join(tickets))
    if reason:
        parts.append(f"转人工原因：{REASONS.get(reason, reason)}")
    structured = "。".join(parts) + "。"
    written = [event for event in record.events if event["type"] == "summary"]
    return {
        "call_id": record.id,
        "caller": record.caller,
        "reason": reason,
        "flow": transfer.flow if transfer else None,
        "slots": slots,
        "tickets": tickets,
        "summary": written[-1]["text"] if written else structured,
        "summary_by": "llm" if written else "record",
        "structured_summary": structured,
        "transcript": [
            {"caller": turn.caller_text or turn.caller_dtmf, "bot": turn.bot_text}
            for turn in record.turns
        ],
    }


async def write_summary(llm: LLMClient, record: CallRecord) -> str | None:
    """The LLM's summary of the call for the agent, or None when it fails or is too slow."""
    lines = [handover(record)["structured_summary"], "通话记录："]
    for turn in record.turns:
        if turn.bot_text:
            lines.append(f"机器人：{turn.bot_text}")
        if turn.caller_text:
            lines.append(f"市民：{turn.caller_text}")
    try:
        reply = await llm.json_completion(SUMMARY_SYSTEM, "\n".join(lines), SUMMARY_SCHEMA, 160)
    except LLMError:
        return None
    text = str(reply.get("summary", "")).strip()
    return text or None
