"""Tickets in Redis: one JSON document per ticket, numbers from a per-day counter."""

from __future__ import annotations

import datetime as dt
import time

import redis.asyncio as redis

from bot.redis_guard import guarded
from bot.tickets.ticket import SurveyResult, Ticket


class TicketStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, number: str) -> str:
        return f"{self._prefix}:ticket:{number}"

    async def next_number(self, today: dt.date) -> str:
        day = today.strftime("%Y%m%d")
        sequence = await guarded(self._redis.incr(f"{self._prefix}:ticket-seq:{day}"))
        return f"{day}{sequence:04d}"

    async def save(self, ticket: Ticket) -> None:
        await guarded(self._redis.set(self._key(ticket.number), ticket.model_dump_json()))

    async def get(self, number: str) -> Ticket | None:
        raw = await guarded(self._redis.get(self._key(number)))
        return Ticket.model_validate_json(raw) if raw else None

    async def add_survey(self, number: str, result: SurveyResult) -> Ticket | None:
        ticket = await self.get(number)
        if ticket is None:
            return None
        ticket.surveys.append(result)
        if result.resolved is False or result.satisfaction == "dissatisfied":
            ticket.follow_up = True
        ticket.updated_at = time.time()
        await self.save(ticket)
        return ticket
