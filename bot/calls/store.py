"""Call records in Redis: one JSON document per call plus a time-ordered index."""

from __future__ import annotations

import redis.asyncio as redis

from bot.calls.record import CallRecord


class StoreUnavailable(Exception):
    """Redis cannot be reached; the message says where it was looked for."""


class CallStore:
    def __init__(self, client: redis.Redis, prefix: str, ttl_days: int) -> None:
        self._redis = client
        self._prefix = prefix
        self._ttl_s = ttl_days * 86400

    @classmethod
    def from_url(cls, url: str, prefix: str, ttl_days: int) -> CallStore:
        client = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=2
        )
        return cls(client, prefix, ttl_days)

    def _key(self, call_id: str) -> str:
        return f"{self._prefix}:call:{call_id}"

    @property
    def _index(self) -> str:
        return f"{self._prefix}:calls"

    async def _guard(self, operation):  # type: ignore[no-untyped-def]
        try:
            return await operation
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc

    async def save(self, record: CallRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(record.id), record.model_dump_json(), ex=self._ttl_s)
            pipe.zadd(self._index, {record.id: record.started_at})
            await self._guard(pipe.execute())

    async def get(self, call_id: str) -> CallRecord | None:
        raw = await self._guard(self._redis.get(self._key(call_id)))
        return CallRecord.model_validate_json(raw) if raw else None

    async def recent(self, limit: int) -> list[CallRecord]:
        ids = await self._guard(self._redis.zrevrange(self._index, 0, limit - 1))
        if not ids:
            return []
        raws = await self._guard(self._redis.mget([self._key(i) for i in ids]))
        return [CallRecord.model_validate_json(raw) for raw in raws if raw]

    async def ping(self) -> None:
        await self._guard(self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
