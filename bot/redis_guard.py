"""Redis outages as one exception the callers handle (retry, 503, fallback)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import redis.asyncio as redis

T = TypeVar("T")


class StoreUnavailable(Exception):
    """Redis cannot be reached; the message says why."""


async def guarded(operation: Awaitable[T]) -> T:
    try:
        return await operation
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise StoreUnavailable(f"Redis is unreachable ({exc}).") from exc
