"""Campaigns in Redis, and the dialer queue that several workers share.

Due contacts wait in a sorted set (score: when they may be called). A Lua script moves as many
as the campaign's free call slots allow into a stream read by the consumer group `dialers`, in
one atomic step, so two workers never take the same contact and the in-flight count never
exceeds `max_concurrent`. A worker acknowledges an entry only in the same transaction that
stores its outcome; an entry left pending by a worker that died is claimed by another one after
its lease, and a contact already finished by that entry is not called again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from bot.campaigns.contacts import ContactImport
from bot.campaigns.model import Campaign, CampaignSettings, Contact, OptOut
from bot.campaigns.result import ContactResult
from bot.campaigns.webhook import outbox_keys
from bot.redis_guard import connect, guarded

GROUP = "dialers"


@dataclass(frozen=True)
class Settled:
    """What one call attempt settled for its contact, stored in one step."""

    contact: Contact
    again_at: float | None = None  # the next attempt, if any
    opt_out: OptOut | None = None  # the callee asked not to be called again
    result: ContactResult | None = None  # for the webhook, when the contact is finished


_SCHEDULE = """
local inflight = tonumber(redis.call('GET', KEYS[3]) or '0')
local free = tonumber(ARGV[2]) - inflight
if free <= 0 then return 0 end
local phones = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, free)
for _, phone in ipairs(phones) do
  redis.call('ZREM', KEYS[1], phone)
  redis.call('XADD', KEYS[2], '*', 'phone', phone)
  redis.call('INCR', KEYS[3])
end
return #phones
"""

# Acknowledge an entry and free its call slot, only once however often it is finished; with
# it, a callee's request not to be called again (words as evidence) and, the first time only,
# the contact's result into the webhook outbox.
_FINISH = """
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[1]) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2]) end
if ARGV[6] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[2])
  redis.call('HSET', KEYS[6], ARGV[2], ARGV[6])
end
if redis.call('XACK', KEYS[3], ARGV[4], ARGV[5]) == 1 then
  redis.call('DECR', KEYS[4])
  if ARGV[7] ~= '' then
    redis.call('HSET', KEYS[8], ARGV[7], ARGV[8])
    redis.call('ZADD', KEYS[7], ARGV[9], ARGV[7])
  end
  return 1
end
return 0
"""


class CampaignStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._schedule = client.register_script(_SCHEDULE)
        self._finish = client.register_script(_FINISH)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> CampaignStore:
        return cls(connect(url), prefix)

    async def close(self) -> None:
        await self._redis.aclose()

    def _key(self, campaign_id: str, part: str = "") -> str:
        return f"{self._prefix}:campaign:{campaign_id}" + (f":{part}" if part else "")

    # --- campaigns -----------------------------------------------------------------

    async def do_not_call(self) -> set[str]:
        members: Any = await guarded(self._redis.smembers(f"{self._prefix}:do-not-call"))
        return set(members)

    async def add_do_not_call(self, phones: list[str]) -> None:
        if phones:
            await guarded(self._redis.sadd(f"{self._prefix}:do-not-call", *phones))

    async def on_do_not_call(self, phone: str) -> bool:
        return bool(await guarded(self._redis.sismember(f"{self._prefix}:do-not-call", phone)))

    async def do_not_call_reason(self, phone: str) -> OptOut | None:
        """How a number came onto the list by the callee's own request, if it did."""
        raw = await guarded(self._redis.hget(f"{self._prefix}:do-not-call:evidence", phone))
        return OptOut.model_validate_json(raw) if raw else None

    async def create(self, settings: CampaignSettings, imported: ContactImport) -> Campaign:
        now = time.time()
        campaign = Campaign(
            **settings.model_dump(),
            id=uuid.uuid4().hex[:12],
            created_at=now,
            contacts=len(imported.contacts),
            duplicates_merged=imported.duplicates_merged,
            do_not_call_skipped=imported.do_not_call_skipped,
            rejected_rows=imported.problems,
        )
        start = settings.start_at or now
        async with self._redis.pipeline(transaction=True) as tx:
            tx.set(self._key(campaign.id), campaign.model_dump_json())
            for contact in imported.contacts:
                tx.hset(
                    self._key(campaign.id, "contacts"), contact.phone, contact.model_dump_json()
                )
                tx.zadd(self._key(campaign.id, "due"), {contact.phone: start})
            tx.xgroup_create(self._key(campaign.id, "calls"), GROUP, id="0", mkstream=True)
            tx.zadd(f"{self._prefix}:campaigns", {campaign.id: now})
            await guarded(tx.execute())
        return campaign

    async def get(self, campaign_id: str) -> Campaign | None:
        raw = await guarded(self._redis.get(self._key(campaign_id)))
        return Campaign.model_validate_json(raw) if raw else None

    async def save(self, campaign: Campaign) -> None:
        await guarded(self._redis.set(self._key(campaign.id), campaign.model_dump_json()))

    async def all(self) -> AsyncIterator[Campaign]:
        """Every campaign, oldest first."""
        ids: Any = await guarded(self._redis.zrange(f"{self._prefix}:campaigns", 0, -1))
        for campaign_id in ids:
            campaign = await self.get(campaign_id)
            if campaign is not None:
                yield campaign

    async def active(self) -> AsyncIterator[Campaign]:
        async for campaign in self.all():
            if campaign.status == "active":
                yield campaign

    async def contacts(self, campaign_id: str) -> list[Contact]:
        raw = await guarded(self._redis.hgetall(self._key(campaign_id, "contacts")))
        return [Contact.model_validate_json(value) for value in raw.values()]

    async def contact(self, campaign_id: str, phone: str) -> Contact | None:
        raw = await guarded(self._redis.hget(self._key(campaign_id, "contacts"), phone))
        return Contact.model_validate_json(raw) if raw else None

    async def waiting(self, campaign_id: str) -> tuple[int, float | None]:
        """Contacts due now or later, and when the next one is due."""
        due = self._key(campaign_id, "due")
        count = await guarded(self._redis.zcard(due))
        first: Any = await guarded(self._redis.zrange(due, 0, 0, withscores=True))
        return count, (float(first[0][1]) if first else None)

    async def in_flight(self, campaign_id: str) -> int:
        return int(await guarded(self._redis.get(self._key(campaign_id, "inflight"))) or 0)

    # --- the dialer queue ------------------------------------------------------------

    async def schedule(self, campaign: Campaign, now: float) -> int:
        """Move due contacts into the call queue, up to the free call slots."""
        keys = [self._key(campaign.id, part) for part in ("due", "calls", "inflight")]
        return int(await guarded(self._schedule(keys=keys, args=[now, campaign.max_concurrent])))

    async def take(self, campaign_id: str, consumer: str, lease_s: float) -> list[tuple[str, str]]:
        """Entries for this worker: new ones, and ones whose worker let the lease run out."""
        stream = self._key(campaign_id, "calls")
        reclaimed: Any = await guarded(
            self._redis.xautoclaim(stream, GROUP, consumer, int(lease_s * 1000), "0", count=10)
        )
        claimed: list[Any] = reclaimed[1]
        fresh: Any = await guarded(self._redis.xreadgroup(GROUP, consumer, {stream: ">"}, count=10))
        entries = claimed + [entry for _, batch in fresh for entry in batch]
        return [(entry_id, fields["phone"]) for entry_id, fields in entries if fields]

    async def renew(self, campaign_id: str, consumer: str, entry: str) -> None:
        """Keep the lease of an entry whose call is still going on."""
        await guarded(
            self._redis.xclaim(self._key(campaign_id, "calls"), GROUP, consumer, 0, [entry])
        )

    async def finish(self, campaign_id: str, entry: str, settled: Settled) -> None:
        """Store the contact, queue its next attempt if any, put a callee who asked for it on
        the do-not-call list, queue its result for the webhook and acknowledge the entry, in
        one atomic step."""
        await self._settle(campaign_id, entry, settled.contact.phone, settled)

    async def release(self, campaign_id: str, phone: str, entry: str) -> None:
        """Drop an entry that needs no call (its contact was finished before a crash)."""
        await self._settle(campaign_id, entry, phone, None)

    async def _settle(
        self, campaign_id: str, entry: str, phone: str, settled: Settled | None
    ) -> None:
        keys = [self._key(campaign_id, part) for part in ("contacts", "due", "calls", "inflight")]
        keys += [f"{self._prefix}:do-not-call", f"{self._prefix}:do-not-call:evidence"]
        keys += outbox_keys(self._prefix)[:2]
        done = settled or Settled(Contact(phone=phone))  # a release settles nothing more
        args = [
            settled.contact.model_dump_json() if settled else "",
            phone,
            "" if done.again_at is None else done.again_at,
            GROUP,
            entry,
            done.opt_out.model_dump_json() if done.opt_out else "",
            done.result.idempotency_key if done.result else "",
            done.result.model_dump_json() if done.result else "",
            time.time(),
        ]
        await guarded(self._finish(keys=keys, args=args))
