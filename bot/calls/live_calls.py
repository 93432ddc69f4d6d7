"""Which worker carries each live SIP call, and each listen-in session, in the deployment's
Redis: behind Kamailio with several workers, a console request may reach a worker other than
the one holding the call, which then forwards it to the owner's `http.advertise_url`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis.asyncio as redis
from loguru import logger

# A worker that dies leaves its entries behind; they lapse instead of piling up.
TTL_S = 6 * 3600


class LiveCalls:
    def __init__(self, client: redis.Redis, prefix: str, own_url: str) -> None:
        self._client = client
        self._prefix = prefix
        self.own_url = own_url

    def _call(self, call_id: str) -> str:
        return f"{self._prefix}:live:call:{call_id}"

    def _session(self, session: str) -> str:
        return f"{self._prefix}:live:listen:{session}"

    @contextlib.asynccontextmanager
    async def holding(self, call_id: str) -> AsyncIterator[None]:
        """This worker carries `call_id` for the block; a Redis outage only costs the other
        workers the forwarding, never the call."""
        await self._set(self._call(call_id))
        try:
            yield
        finally:
            await self._delete(self._call(call_id))

    async def listening(self, session: str) -> None:
        """This worker serves the listen-in `session` (its stop request is forwarded here)."""
        await self._set(self._session(session))

    async def call_owner(self, call_id: str) -> str | None:
        """The URL of the other worker carrying `call_id`, or None (here, or nowhere)."""
        return await self._other(self._call(call_id))

    async def session_owner(self, session: str) -> str | None:
        return await self._other(self._session(session))

    async def _set(self, key: str) -> None:
        try:
            await self._client.set(key, self.own_url, ex=TTL_S)
        except redis.RedisError as exc:
            logger.warning(f"live-call registry unavailable ({exc}); no forwarding to here")

    async def _delete(self, key: str) -> None:
        with contextlib.suppress(redis.RedisError):
            await self._client.delete(key)

    async def _other(self, key: str) -> str | None:
        try:
            owner = await self._client.get(key)
        except redis.RedisError:
            return None
        return str(owner) if owner and owner != self.own_url else None
