"""The audit log: who listened in to which call, and when (a Redis stream, newest last)."""

from __future__ import annotations

import time
from typing import Any, cast

import redis.asyncio as redis

from bot.access.guard import Principal
from bot.redis_guard import guarded

MAX_ENTRIES = 100_000


class AuditLog:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._key = f"{prefix}:audit"

    async def write(self, action: str, who: Principal, **details: str) -> None:
        """Append one entry; raises StoreUnavailable, so an unlogged action can be refused."""
        entry: dict[Any, Any] = {
            "at": f"{time.time():.3f}",
            "action": action,
            "user": who.name,
            **details,
        }
        await guarded(self._redis.xadd(self._key, entry, maxlen=MAX_ENTRIES, approximate=True))

    async def recent(self, limit: int) -> list[dict[str, Any]]:
        entries = cast(
            list[tuple[str, dict[str, str]]],
            await guarded(self._redis.xrevrange(self._key, count=limit)),
        )
        return [{**fields, "at": float(fields["at"])} for _id, fields in entries]
