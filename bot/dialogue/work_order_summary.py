"""The work order's one-paragraph summary in the hotline's house style, written by the LLM.

"市民来电反映……，诉求……": what a 12345 agent writes at the top of a work order. It is written
after the caller heard the ticket number (the LLM is slower than a voice turn), stored beside
the caller's own account — never instead of it — and only from the fields the caller gave.
"""

from __future__ import annotations

from loguru import logger

from bot.dialogue.llm_understanding import SYSTEM_PROMPT
from bot.llm.client import LLMClient, LLMError
from bot.tickets.ticket import Ticket

HOUSE_STYLE_OPENING = "市民来电反映"
MAX_SUMMARY_CHARS = 160
SUMMARY_TIMEOUT_S = 300.0  # it waits behind caller turns (bot.llm.caller_first)
# The task goes in the user message: the system prompt stays the command generator's, so an
# embedded llama.cpp keeps that prefix cached (measured: a summary with a system prompt of its
# own made the next turn re-read 580 tokens, 11 s on 2 cores, and time out).
TASK = (
    "任务：不是理解命令，而是写工单摘要。根据市民的陈述写一段话，格式："
    "“市民来电反映……（什么问题、在哪里、从什么时候开始、影响了谁），诉求……”。"
    '只写市民说过的内容，不编造，不写电话号码，不超过120字。输出{"summary":"…"}。'
)
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "maxLength": MAX_SUMMARY_CHARS}},
    "required": ["summary"],
    "additionalProperties": False,
}


def summary_request(ticket: Ticket) -> str:
    lines = [TASK, f"市民的陈述：{ticket.description or '（未说明）'}"]
    for label, value in (
        ("类别", ticket.category),
        ("地点", ticket.address),
        ("时间", ticket.time),
    ):
        if value:
            lines.append(f"{label}：{value}")
    return "\n".join(lines)


class LLMWorkOrderSummary:
    """A `Summarizer` on the configured LLM."""

    def __init__(self, client: LLMClient) -> None:
        self._client = client

    async def summarize(self, ticket: Ticket) -> str | None:
        if not ticket.description:
            return None
        try:
            data = await self._client.json_completion(
                SYSTEM_PROMPT,  # shared with understanding: one cached prefix
                summary_request(ticket),
                SCHEMA,
                max_tokens=160,
                timeout_s=SUMMARY_TIMEOUT_S,
                background=True,
            )
        except LLMError as exc:
            logger.warning(f"ticket {ticket.number}: no summary ({exc})")
            return None
        summary = str(data.get("summary", "")).strip()
        if not summary.startswith(HOUSE_STYLE_OPENING):
            logger.warning(f"ticket {ticket.number}: summary not in house style, dropped")
            return None
        return summary
