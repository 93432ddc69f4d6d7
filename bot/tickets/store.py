"""Tickets in Redis: one JSON document per ticket, numbers from a per-day counter."""

from __future__ import annotations

import datetime as dt
import time

import redis.asyncio as redis

from bot.calls.store import StoreUnavailable
from bot.tickets.ticket import SurveyResult, Ticket


class TicketStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, number: str) -> str:
        return f"{self._prefix}:ticket:{number}"

    async def next_number(self, today: dt.date) -> str:
        day = today.strftime("%Y%m%d")
        try:
            sequence = await self._redis.incr(f"{self._prefix}:ticket-seq:{day}")
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc
        return f"{day}{sequence:04d}"

    async def save(self, ticket: Ticket) -> None:
        try:
            await self._redis.set(self._key(ticket.number), ticket.model_dump_json())
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc

    async def get(self, number: str) -> Ticket | None:
        try:
            raw = await self._redis.get(self._key(number))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc
        return Ticket.model_validate_json(raw) if raw else None

    async def add_survey(self, number: str, result: SurveyResult) -> Ticket | None:
        ticket = await self.get(number)
        if ticket is None:
            return None
        ticket.surveys.append(result)
        ticket.updated_at = time.time()
        await self.save(ticket)
        return ticket
