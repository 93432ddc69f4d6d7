"""Call records in Redis: one JSON document per call plus a time-ordered index."""

from __future__ import annotations

import redis.asyncio as redis

from bot.calls.record import CallRecord
from bot.redis_guard import connect, guarded


class CallStore:
    def __init__(self, client: redis.Redis, prefix: str, ttl_days: int) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl_s = ttl_days * 86400

    @classmethod
    def from_url(cls, url: str, prefix: str, ttl_days: int) -> CallStore:
        return cls(connect(url), prefix, ttl_days)

    def _key(self, call_id: str) -> str:
        return f"{self._prefix}:call:{call_id}"

    @property
    def _index(self) -> str:
        return f"{self._prefix}:calls"

    async def save(self, record: CallRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(record.id), record.model_dump_json(), ex=self._ttl_s)
            pipe.zadd(self._index, {record.id: record.started_at})
            await guarded(pipe.execute())

    async def get(self, call_id: str) -> CallRecord | None:
        raw = await guarded(self._redis.get(self._key(call_id)))
        return CallRecord.model_validate_json(raw) if raw else None

    async def recent(self, limit: int) -> list[CallRecord]:
        ids = await guarded(self._redis.zrevrange(self._index, 0, limit - 1))
        if not ids:
            return []
        raws = await guarded(self._redis.mget([self._key(str(i)) for i in ids]))
        return [CallRecord.model_validate_json(raw) for raw in raws if raw]

    async def close(self) -> None:
        await self._redis.aclose()
