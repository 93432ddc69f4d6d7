"""Finished contacts pushed to the work-order system's webhook, never lost and never resent
after it took them.

The outbox lives in Redis: a contact's result is written into it by the same atomic step that
stores the contact as finished (`CampaignStore.finish`). A delivery is removed only after a 2xx.
While one is being sent its score in the due set is the end of its lease, so another worker
does not send it too; a worker that dies mid-delivery leaves it to be taken again when the
lease runs out (at least once; the idempotency key lets the receiver drop a repeat). A refusal
or timeout puts it back with exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as redis
from loguru import logger

from bot.config import WebhookConfig
from bot.redis_guard import StoreUnavailable, guarded

SIGNATURE_HEADER = "X-Hotline-Signature"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# How long a worker may hold a delivery beyond its request timeout before another takes it.
LEASE_MARGIN_S = 5.0
POLL_S = 0.5
BATCH = 10

_CLAIM = """
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local out = {}
for _, key in ipairs(keys) do
  redis.call('ZADD', KEYS[1], ARGV[2], key)
  table.insert(out, key)
  table.insert(out, redis.call('HGET', KEYS[2], key) or '')
  table.insert(out, redis.call('HINCRBY', KEYS[3], key, 1))
end
return out
"""

_DELIVERED = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
"""


def outbox_keys(prefix: str) -> list[str]:
    """The due set (score: next try or lease end), the bodies and the tries so far."""
    return [f"{prefix}:webhook:{part}" for part in ("due", "bodies", "tries")]


def signature(secret: str, timestamp: str, body: str) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: the timestamp is signed too,
    so a receiver can refuse an old request replayed."""
    text = f"{timestamp}.{body}".encode()
    return "sha256=" + hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def backoff_s(config: WebhookConfig, tries: int) -> float:
    return float(min(config.max_backoff_s, config.backoff_s * 2 ** (tries - 1)))


@dataclass(frozen=True)
class Delivery:
    key: str  # the idempotency key: campaign id and contact
    body: str
    tries: int  # this one included


class Outbox:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._keys = outbox_keys(prefix)
        self._claim = client.register_script(_CLAIM)
        self._delivered = client.register_script(_DELIVERED)

    async def claim(self, now: float, lease_until: float, count: int) -> list[Delivery]:
        """Due deliveries, leased to the caller until `lease_until`."""
        flat: Any = await guarded(self._claim(keys=self._keys, args=[now, lease_until, count]))
        return [
            Delivery(str(flat[i]), str(flat[i + 1]), int(flat[i + 2]))
            for i in range(0, len(flat), 3)
        ]

    async def delivered(self, key: str) -> None:
        await guarded(self._delivered(keys=self._keys, args=[key]))

    async def retry_at(self, key: str, at: float) -> None:
        await guarded(self._redis.zadd(self._keys[0], {key: at}, xx=True))

    async def pending(self) -> int:
        return int(await guarded(self._redis.zcard(self._keys[0])))


class WebhookSender:
    """Runs in every worker: sends due deliveries, acknowledges 2xx, backs off on the rest."""

    def __init__(
        self, outbox: Outbox, config: WebhookConfig, clock: Callable[[], float] = time.time
    ) -> None:
        assert config.url, "the webhook sender needs campaigns.webhook.url"
        self._outbox = outbox
        self._config = config
        self._url = config.url
        self._clock = clock
        # Accepted by the receiver, not yet removed from the outbox (Redis was away).
        self._accepted: set[str] = set()

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self._config.timeout_s) as client:
            while True:
                try:
                    await self.send_due(client)
                except StoreUnavailable as exc:
                    logger.warning(f"webhook deliveries paused: {exc}")
                await asyncio.sleep(POLL_S)

    async def send_due(self, client: httpx.AsyncClient) -> None:
        for key in list(self._accepted):  # first, so none of them is claimed and sent again
            await self._outbox.delivered(key)
            self._accepted.discard(key)
        now = self._clock()
        lease_until = now + self._config.timeout_s + LEASE_MARGIN_S
        deliveries = await self._outbox.claim(now, lease_until, BATCH)
        await asyncio.gather(*(self._send(client, delivery) for delivery in deliveries))

    async def _send(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._config.secret, timestamp, delivery.body),
            IDEMPOTENCY_HEADER: delivery.key,
        }
        try:
            response = await client.post(self._url, content=delivery.body, headers=headers)
            refused = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            refused = f"{type(exc).__name__} {exc}".strip()
        if refused is None:
            logger.info(f"webhook: {delivery.key} delivered (try {delivery.tries})")
            self._accepted.add(delivery.key)
            with contextlib.suppress(StoreUnavailable):  # else removed on the next round
                await self._outbox.delivered(delivery.key)
                self._accepted.discard(delivery.key)
            return
        delay = backoff_s(self._config, delivery.tries)
        logger.warning(f"webhook: {delivery.key} try {delivery.tries}: {refused}; next in {delay}s")
        with contextlib.suppress(StoreUnavailable):  # else due again when the lease runs out
            await self._outbox.retry_at(delivery.key, self._clock() + delay)
