"""What an agent needs when a call is handed over: a summary and the transcript.

The summary is built from the call's record (structured, always available): the caller's
need in their own words, what the bot had collected, tickets opened, and why it escalated.
"""

from __future__ import annotations

from typing import Any

from bot.calls.record import CallRecord

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
    transfers = [event for event in record.events if event["type"] == "transfer"]
    transfer = transfers[-1] if transfers else {}
    tickets = [
        event["ticket"]["number"] for event in record.events if event["type"] == "ticket_created"
    ]
    said = [turn.caller_text for turn in record.turns if turn.caller_text]
    reason = transfer.get("reason")
    need = "；".join(transfer.get("caller_said") or said[:2]) or "（未说明）"
    slots = transfer.get("slots") or {}
    parts = [f"来电号码 {record.caller or '未知'}", f"诉求：{need}"]
    if slots:
        parts.append("已收集：" + "，".join(f"{name}={value}" for name, value in slots.items()))
    if tickets:
        parts.append("工单号：" + "、".join(tickets))
    if reason:
        parts.append(f"转人工原因：{REASONS.get(reason, reason)}")
    return {
        "call_id": record.id,
        "caller": record.caller,
        "reason": reason,
        "flow": transfer.get("flow"),
        "slots": slots,
        "tickets": tickets,
        "summary": "。".join(parts) + "。",
        "transcript": [
            {"caller": turn.caller_text or turn.caller_dtmf, "bot": turn.bot_text}
            for turn in record.turns
        ],
    }
