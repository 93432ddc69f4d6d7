"""The campaign dialer that runs in every SIP worker: it takes due contacts from the shared
queue, calls them, runs the campaign's flow when they answer, and stores the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from loguru import logger

from bot.calls.record import CallRecord
from bot.campaigns.model import RETRY, Attempt, Campaign, Contact, Outcome
from bot.campaigns.store import CampaignStore
from bot.dialogue.events import Hangup, SurveyRecorded
from bot.dialogue.slot_types.spelling import spell_digits
from bot.metrics import CAMPAIGN_ATTEMPTS
from bot.redis_guard import StoreUnavailable
from bot.sip_calls import SipCalls
from bot.tickets.store import TicketStore

# How long a worker keeps an outcome that Redis cannot take yet (a restart, a failover).
OUTCOME_PATIENCE_S = 600

# SIP outcomes of calls that were not answered, as campaign outcomes.
_UNANSWERED = {
    "busy": Outcome.BUSY,
    "no_answer": Outcome.NO_ANSWER,
    "rejected": Outcome.REJECTED,
    "failed": Outcome.FAILED,
}

for _outcome in Outcome:  # exported at zero from the start
    CAMPAIGN_ATTEMPTS.labels(_outcome)


def outcome_of_call(record: CallRecord) -> tuple[Outcome, dict[str, Any] | None]:
    """What an answered survey call came to, from the events its dialogue recorded."""
    surveys = [event.survey for event in record.dialogue_events(SurveyRecorded)]
    survey = surveys[-1] if surveys else None
    if survey and (survey["resolved"] is not None or survey["satisfaction"]):
        answers = {key: survey[key] for key in ("resolved", "satisfaction", "comment")}
        return Outcome.COMPLETED, answers
    if survey and survey["callback_time"]:
        return Outcome.CALL_LATER, {"callback_time": survey["callback_time"]}
    steps = [event.step for event in record.dialogue_events(Hangup)]
    if "wrong_person" in steps:
        return Outcome.WRONG_NUMBER, None
    if "relative" in steps or "call_later" in steps:  # a family member, or "call me later"
        return Outcome.CALL_LATER, None
    return Outcome.REFUSED, None


class CampaignDialer:
    def __init__(
        self,
        store: CampaignStore,
        sip: SipCalls,
        tickets: TicketStore,
        *,
        consumer: str,
        tick_s: float = 1.0,
        lease_s: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sip = sip
        self._tickets = tickets
        self._consumer = consumer
        self._tick_s = tick_s
        self._lease_s = lease_s
        self._clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Forever: schedule and place calls; a Redis outage only pauses the dialling."""
        try:
            while True:
                try:
                    await self.tick()
                except StoreUnavailable as exc:
                    logger.warning(f"campaign dialer paused: {exc}")
                await asyncio.sleep(self._tick_s)
        finally:
            for task in self._running.values():
                task.cancel()
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def tick(self) -> None:
        now = self._clock()
        async for campaign in self._store.active():
            windows = campaign.calling_windows()
            if windows.is_open(now) and now >= (campaign.start_at or 0):
                await self._store.schedule(campaign, now)
            for entry, phone in await self._store.take(campaign.id, self._consumer, self._lease_s):
                if entry not in self._running:
                    self._running[entry] = asyncio.create_task(
                        self._attempt(campaign, entry, phone)
                    )
                    self._running[entry].add_done_callback(self._forget)
            await self._finish_if_done(campaign)

    def _forget(self, task: asyncio.Task[None]) -> None:
        for entry, running in list(self._running.items()):
            if running is task:
                del self._running[entry]
        if not task.cancelled() and task.exception() is not None:
            logger.opt(exception=task.exception()).error("campaign call attempt failed")

    async def _finish_if_done(self, campaign: Campaign) -> None:
        waiting, _ = await self._store.waiting(campaign.id)
        if waiting == 0 and await self._store.in_flight(campaign.id) == 0:
            campaign.status = "finished"
            await self._store.save(campaign)
            logger.info(f"campaign {campaign.id} finished")

    async def _keep_lease(self, campaign_id: str, entry: str) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            with contextlib.suppress(StoreUnavailable):
                await self._store.renew(campaign_id, self._consumer, entry)

    async def _call_data(self, contact: Contact) -> dict[str, Any]:
        ticket = await self._tickets.get(contact.ticket_id) if contact.ticket_id else None
        data: dict[str, Any] = {
            "contact_name": contact.name or (ticket.contact_name if ticket else None) or "",
            "ticket_category": (ticket.category if ticket else None) or "",
        }
        if contact.ticket_id:
            data["ticket"] = contact.ticket_id
            data["ticket_number"] = spell_digits(contact.ticket_id)
        return data

    async def _attempt(self, campaign: Campaign, entry: str, phone: str) -> None:
        contact = await self._store.contact(campaign.id, phone)
        if contact is None or contact.done or any(a.entry == entry for a in contact.attempts):
            await self._store.release(campaign.id, phone, entry)  # dealt with before a crash
            return
        lease = asyncio.create_task(self._keep_lease(campaign.id, entry))
        try:
            await self._call(campaign, entry, contact)
        finally:
            lease.cancel()

    async def _call(self, campaign: Campaign, entry: str, contact: Contact) -> None:
        data = await self._call_data(contact)  # before dialling: nobody is kept waiting on Redis
        attempt = Attempt(number=len(contact.attempts) + 1, started_at=self._clock(), entry=entry)
        dialled = await self._sip.dial(contact.phone, campaign.trunk)
        attempt.sip_status = dialled.status
        if dialled.call is None:
            outcome, answers = _UNANSWERED[dialled.outcome.value], None
        else:
            attempt.call_id = SipCalls.record_id(dialled.call)
            record = await self._sip.converse(dialled.call, campaign.flow, data)
            outcome, answers = outcome_of_call(record)
        attempt.ended_at = self._clock()
        attempt.outcome = outcome
        contact.attempts.append(attempt)
        contact.outcome = outcome
        contact.answers = answers if answers is not None else contact.answers
        again_at = None
        if outcome in RETRY and attempt.number < campaign.attempts:
            windows = campaign.calling_windows()
            asked = windows.next_local_time(
                (answers or {}).get("callback_time") or "", attempt.ended_at
            )
            again_at = windows.next_open(asked or attempt.ended_at + campaign.retry_delay_s)
        else:
            contact.done = True
        logger.info(f"campaign {campaign.id}: attempt {attempt.number} → {outcome}")
        CAMPAIGN_ATTEMPTS.labels(outcome).inc()
        await self._store_outcome(campaign.id, entry, contact, again_at)

    async def _store_outcome(
        self, campaign_id: str, entry: str, contact: Contact, again_at: float | None
    ) -> None:
        """A call that took place is never forgotten: through a Redis outage the outcome is
        kept here and stored as soon as Redis answers again."""
        deadline = self._clock() + OUTCOME_PATIENCE_S
        while True:
            try:
                await self._store.finish(campaign_id, entry, contact, again_at)
                return
            except StoreUnavailable as exc:
                if self._clock() > deadline:
                    raise
                logger.warning(f"campaign {campaign_id}: outcome of {entry} waits: {exc}")
                await asyncio.sleep(1)
