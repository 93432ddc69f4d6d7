"""The side effects of flows, behind one small protocol: work orders, survey answers,
follow-ups on earlier requests (Redis), knowledge answers and values read by meaning.

The session decides *when*; these decide *how*. Unit tests give the session fakes of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from loguru import logger

from bot.dialogue.emergency_meaning import EmergencyMeaning
from bot.dialogue.meaning_match import MeaningMatcher
from bot.knowledge.answers import KnowledgeAnswer
from bot.redis_guard import StoreUnavailable
from bot.tickets.store import TicketStore
from bot.tickets.ticket import FollowUp, SurveyResult, Ticket, closest_ticket

RETRIES = 6
# A caller's recent work orders a follow-up chooses among.
PHONE_TICKETS = 5
RETRY_S = 0.5
T = TypeVar("T")

TICKET_FIELDS = ("category", "address", "time", "description", "contact_name", "contact_phone")
SURVEY_FIELDS = ("resolved", "satisfaction", "comment", "callback_time")


async def _retrying(operation: Callable[[], Awaitable[T]]) -> T:
    """Ride out a Redis restart of a few seconds rather than fail the caller's request."""
    for attempt in range(RETRIES):
        try:
            return await operation()
        except StoreUnavailable:
            if attempt == RETRIES - 1:
                raise
            await asyncio.sleep(RETRY_S)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class WorkOrderDraft:
    """What the conversation collected for a work order."""

    fields: dict[str, Any]
    evidence: dict[str, str]
    category_words: str | None = None  # the caller's words the category was read from


class Summarizer(Protocol):
    async def summarize(self, ticket: Ticket) -> str | None: ...


class Effects(Protocol):
    async def create_ticket(self, call_id: str, draft: WorkOrderDraft) -> Ticket: ...

    async def record_survey(
        self, call_id: str, ticket: str | None, answers: dict[str, Any], evidence: dict[str, str]
    ) -> SurveyResult: ...

    async def find_ticket(
        self, number: str | None, phone: str | None, about: str = ""
    ) -> Ticket | None:
        """By its number, else the phone's work order the caller's words `about` are closest
        to (the most recent when they name none)."""
        ...

    async def record_follow_up(self, number: str, call_id: str, said: str) -> None: ...

    async def answer(self, question: str) -> KnowledgeAnswer: ...

    async def closest_value(
        self,
        values: Mapping[str, Sequence[str]],
        text: str,
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> str | None:
        """The value `text` clearly means (enum slots with `infer_from_account`), or None."""
        ...

    async def emergency_meant(
        self, text: str, emergencies: Sequence[str], ordinary: Sequence[str]
    ) -> bool:
        """Whether `text` is closer in meaning to an emergency than to any ordinary account."""
        ...


class KnowledgeAnswerer(Protocol):
    def answer(self, question: str) -> KnowledgeAnswer: ...


class HotlineEffects:
    """Tickets in the centre's Redis, answers from the knowledge base."""

    def __init__(
        self,
        store: TicketStore,
        knowledge: KnowledgeAnswerer,
        departments: dict[str, str],
        default_department: str,
        summarizer: Summarizer | None = None,
        meaning: MeaningMatcher | None = None,
        emergency: EmergencyMeaning | None = None,
    ) -> None:
        self._store = store
        self._meaning = meaning
        self._emergency = emergency
        self._knowledge = knowledge
        self._departments = departments
        self._default_department = default_department
        self._summarizer = summarizer
        self._background: set[asyncio.Task[None]] = set()

    def department_for(self, category: str | None) -> tuple[str, str]:
        """The suggested department and why it was chosen."""
        if category and category in self._departments:
            department = self._departments[category]
            return department, f"诉求类别为「{category}」，按派单规则由{department}办理"
        return self._default_department, "诉求类别没有对应的承办部门，由派单中心人工分派"

    async def create_ticket(self, call_id: str, draft: WorkOrderDraft) -> Ticket:
        now = time.time()
        number = await _retrying(lambda: self._store.next_number(dt.date.today()))
        fields = draft.fields
        department, reason = self.department_for(fields.get("category"))
        if draft.category_words and fields.get("category"):
            reason += f"（依据市民所说：“{draft.category_words}”）"
        ticket = Ticket(
            number=number,
            category=fields.get("category"),
            address=fields.get("address"),
            time=fields.get("time"),
            description=fields.get("description"),
            contact_name=fields.get("contact_name"),
            contact_phone=fields.get("contact_phone"),
            department=department,
            department_reason=reason,
            evidence={k: v for k, v in draft.evidence.items() if k in TICKET_FIELDS},
            call_id=call_id,
            transcript=f"/api/calls/{call_id}",
            created_at=now,
            updated_at=now,
        )
        await _retrying(lambda: self._store.save(ticket))
        if self._summarizer is not None:
            task = asyncio.create_task(self._add_summary(ticket))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return ticket

    async def _add_summary(self, ticket: Ticket) -> None:
        """The house-style summary is written after the caller heard the number: the LLM is
        slower than a voice turn, and the ticket is complete without it."""
        assert self._summarizer is not None
        try:
            summary = await self._summarizer.summarize(ticket)
            if summary:
                stored = await _retrying(lambda: self._store.get(ticket.number)) or ticket
                stored.summary = summary
                await _retrying(lambda: self._store.save(stored))
        except Exception:  # a summary is a convenience; the ticket stands without it
            logger.exception(f"ticket {ticket.number}: summary failed")

    async def record_survey(
        self, call_id: str, ticket: str | None, answers: dict[str, Any], evidence: dict[str, str]
    ) -> SurveyResult:
        result = SurveyResult(
            **{name: answers.get(name) for name in SURVEY_FIELDS},
            evidence={k: v for k, v in evidence.items() if k in SURVEY_FIELDS},
            call_id=call_id,
            recorded_at=time.time(),
        )
        if ticket:
            await _retrying(lambda: self._store.add_survey(ticket, result))
        return result

    async def find_ticket(
        self, number: str | None, phone: str | None, about: str = ""
    ) -> Ticket | None:
        if number:
            return await _retrying(lambda: self._store.get(number))
        if phone:
            recent = await _retrying(lambda: self._store.for_phone(phone, limit=PHONE_TICKETS))
            return closest_ticket(recent, about)
        return None

    async def record_follow_up(self, number: str, call_id: str, said: str) -> None:
        urged = any(word in said for word in ("催", "快点", "尽快", "抓紧", "怎么还没"))
        follow_up = FollowUp(call_id=call_id, said=said, urged=urged, at=time.time())
        await _retrying(lambda: self._store.add_follow_up(number, follow_up))

    async def answer(self, question: str) -> KnowledgeAnswer:
        return await asyncio.to_thread(self._knowledge.answer, question)

    async def closest_value(
        self,
        values: Mapping[str, Sequence[str]],
        text: str,
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> str | None:
        if self._meaning is None:
            return None
        return await asyncio.to_thread(self._meaning.closest, values, text, examples)

    async def emergency_meant(
        self, text: str, emergencies: Sequence[str], ordinary: Sequence[str]
    ) -> bool:
        if self._emergency is None:
            return False
        return await asyncio.to_thread(self._emergency.meant, text, emergencies, ordinary)

    async def close(self) -> None:
        """Let summaries being written finish (a worker stopping)."""
        await asyncio.gather(*self._background, return_exceptions=True)
