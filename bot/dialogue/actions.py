"""Flow actions: what `action:` steps do to the centre's systems (tickets in Redis)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from bot.redis_guard import StoreUnavailable
from bot.tickets.store import TicketStore
from bot.tickets.ticket import SurveyResult, Ticket

RETRIES = 6
RETRY_S = 0.5


async def _retrying(operation):  # type: ignore[no-untyped-def]
    """Ride out a Redis restart of a few seconds rather than fail the caller's request."""
    for attempt in range(RETRIES):
        try:
            return await operation()
        except StoreUnavailable:
            if attempt == RETRIES - 1:
                raise
            await asyncio.sleep(RETRY_S)


class TicketActions:
    def __init__(
        self, store: TicketStore, departments: dict[str, str], default_department: str
    ) -> None:
        self._store = store
        self._departments = departments
        self._default_department = default_department

    def department_for(self, category: str | None) -> str:
        return self._departments.get(category or "", self._default_department)

    async def create_ticket(self, call_id: str, slots: dict[str, Any]) -> Ticket:
        now = time.time()
        number = await _retrying(lambda: self._store.next_number(dt.date.today()))
        ticket = Ticket(
            number=number,
            category=slots.get("category"),
            department=self.department_for(slots.get("category")),
            address=slots.get("address"),
            time=slots.get("time"),
            description=slots.get("description"),
            contact_name=slots.get("contact_name"),
            contact_phone=slots.get("contact_phone"),
            call_id=call_id,
            transcript=f"/api/calls/{call_id}",
            created_at=now,
            updated_at=now,
        )
        await _retrying(lambda: self._store.save(ticket))
        return ticket

    async def record_survey(
        self, call_id: str, ticket_number: str | None, slots: dict[str, Any]
    ) -> SurveyResult:
        result = SurveyResult(
            resolved=slots.get("resolved"),
            satisfaction=slots.get("satisfaction"),
            comment=slots.get("comment"),
            callback_time=slots.get("callback_time"),
            call_id=call_id,
            recorded_at=time.time(),
        )
        if ticket_number:
            await _retrying(lambda: self._store.add_survey(ticket_number, result))
        return result
