"""Sign-in lockout: too many wrong passwords for one account, or from one client address,
lock it for a while. The counts live in Redis, so every worker behind the balancer agrees."""

from __future__ import annotations

import redis.asyncio as redis

from bot.config import LockoutConfig
from bot.redis_guard import guarded


class SignInLockout:
    def __init__(self, client: redis.Redis, prefix: str, config: LockoutConfig) -> None:
        self._redis = client
        self._prefix = f"{prefix}:signin"
        self._failures = config.failures
        self._window_s = round(config.window_min * 60)
        self._lock_s = round(config.lock_min * 60)

    def _keys(self, name: str, address: str) -> list[str]:
        return [f"{self._prefix}:account:{name}", f"{self._prefix}:address:{address}"]

    async def locked_for(self, name: str, address: str) -> int:
        """Seconds until both the account and the address may try again (0: now)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in self._keys(name, address):
                pipe.ttl(f"{key}:locked")
            ttls = await guarded(pipe.execute())
        return max(0, *(int(ttl) for ttl in ttls))

    async def failed(self, name: str, address: str) -> None:
        """Count one wrong password against the account and the address; lock either one
        that reached the limit within the window."""
        keys = self._keys(name, address)
        async with self._redis.pipeline(transaction=True) as tx:
            for key in keys:
                tx.incr(f"{key}:failures")
                tx.expire(f"{key}:failures", self._window_s, nx=True)
            counts = (await guarded(tx.execute()))[::2]
        for key, count in zip(keys, counts, strict=True):
            if int(count) >= self._failures:
                async with self._redis.pipeline(transaction=True) as tx:
                    tx.set(f"{key}:locked", "1", ex=self._lock_s)
                    tx.delete(f"{key}:failures")
                    await guarded(tx.execute())

    async def succeeded(self, name: str, address: str) -> None:
        """A right password clears the failures counted so far."""
        await guarded(self._redis.delete(*(f"{key}:failures" for key in self._keys(name, address))))
