"""Tickets in Redis: one JSON document per ticket, numbers from a per-day counter, and an
index by contact phone so a caller's earlier requests can be found."""

from __future__ import annotations

import datetime as dt
import time

import redis.asyncio as redis

from bot.redis_guard import guarded
from bot.tickets.ticket import FollowUp, SurveyResult, Ticket


class TicketStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, number: str) -> str:
        return f"{self._prefix}:ticket:{number}"

    def _phone_key(self, phone: str) -> str:
        return f"{self._prefix}:tickets-by-phone:{phone}"

    async def next_number(self, today: dt.date) -> str:
        day = today.strftime("%Y%m%d")
        sequence = await guarded(self._redis.incr(f"{self._prefix}:ticket-seq:{day}"))
        return f"{day}{sequence:04d}"

    async def save(self, ticket: Ticket) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(ticket.number), ticket.model_dump_json())
            if ticket.contact_phone:
                pipe.zadd(self._phone_key(ticket.contact_phone), {ticket.number: ticket.created_at})
            await guarded(pipe.execute())

    async def get(self, number: str) -> Ticket | None:
        raw = await guarded(self._redis.get(self._key(number)))
        return Ticket.model_validate_json(raw) if raw else None

    async def for_phone(self, phone: str, limit: int = 5) -> list[Ticket]:
        """The caller's most recent tickets, newest first."""
        numbers = await guarded(self._redis.zrevrange(self._phone_key(phone), 0, limit - 1))
        tickets = [await self.get(str(number)) for number in numbers]
        return [ticket for ticket in tickets if ticket is not None]

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

    async def add_follow_up(self, number: str, follow_up: FollowUp) -> Ticket | None:
        ticket = await self.get(number)
        if ticket is None:
            return None
        ticket.follow_ups.append(follow_up)
        ticket.updated_at = time.time()
        await self.save(ticket)
        return ticket
