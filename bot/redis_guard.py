"""Redis clients that fail fast, and outages as one exception the callers handle (retry, 503,
fallback)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import redis.asyncio as redis

T = TypeVar("T")

# A hung Redis (accepts, never answers) must not stall a call, the dialer or a request.
TIMEOUT_S = 2.0


class StoreUnavailable(Exception):
    """Redis cannot be reached; the message says why."""


def connect(url: str, timeout_s: float = TIMEOUT_S) -> redis.Redis:
    """A client over its own connection pool, with connect and socket timeouts. A worker
    makes one and shares it between its stores (closing it closes the pool)."""
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
    )


async def guarded(operation: Awaitable[T]) -> T:
    try:
        return await operation
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc
