"""The campaign dialer that runs in every SIP worker: it takes due contacts from the shared
queue, calls them, runs the campaign's flow when they answer, and stores the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from loguru import logger

from bot.calls.record import CallRecord
from bot.campaigns.announcements import Announcements
from bot.campaigns.call_data import survey_call_data
from bot.campaigns.model import (
    RETRY,
    RETRY_LATER,
    Attempt,
    Campaign,
    Contact,
    OptOut,
    Outcome,
)
from bot.campaigns.result import ContactResult
from bot.campaigns.store import CampaignStore, Settled
from bot.dialogue.events import Hangup, SurveyRecorded
from bot.metrics import CAMPAIGN_ATTEMPTS
from bot.redis_guard import StoreUnavailable
from bot.sip_calls import SipCalls
from bot.speech.whisper_transcriber import QUESTION_CHARS
from bot.tickets.store import TicketStore
from telephony.early_media import FirstAudio
from telephony.endpoint import DialResult

# An announcement after an answer is heard within this long.
OPENING_S = 10.0
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


@dataclass(frozen=True)
class CallResult:
    """What a call came to: the outcome, the answers and the callee's words for each, and the
    carrier's announcement when one gave the outcome."""

    outcome: Outcome
    answers: dict[str, Any] | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    announcement: str | None = None


def outcome_of_call(record: CallRecord) -> CallResult:
    """What an answered survey call came to, from the events its dialogue recorded."""
    surveys = [event.survey for event in record.dialogue_events(SurveyRecorded)]
    survey = surveys[-1] if surveys else None
    if survey and (survey["resolved"] is not None or survey["satisfaction"]):
        return _answered(Outcome.COMPLETED, survey, ("resolved", "satisfaction", "comment"))
    if survey and survey["callback_time"]:
        return _answered(Outcome.CALL_LATER, survey, ("callback_time",))
    steps = hangup_steps(record)
    if "wrong_person" in steps:
        return CallResult(Outcome.WRONG_NUMBER)
    if "machine" in steps:
        return CallResult(Outcome.MACHINE)
    if "relative" in steps or "call_later" in steps:  # a family member, or "call me later"
        return CallResult(Outcome.CALL_LATER)
    return CallResult(Outcome.REFUSED)


def hangup_steps(record: CallRecord) -> list[str | None]:
    """The steps at which the call's dialogue hung up (the flow's `on_machine` step …)."""
    return [event.step for event in record.dialogue_events(Hangup)]


def _answered(outcome: Outcome, survey: dict[str, Any], names: tuple[str, ...]) -> CallResult:
    said = survey.get("evidence") or {}
    evidence = {name: said[name] for name in names if said.get(name)}
    return CallResult(outcome, {name: survey[name] for name in names}, evidence)


def first_words(record: CallRecord) -> str:
    """The first thing the other side said on the call ("" when nothing)."""
    return next((turn.caller_text for turn in record.turns if turn.caller_text), "")


def announced_after_answer(record: CallRecord, announcements: Announcements) -> CallResult | None:
    """A carrier that answers and then plays its announcement: the first thing "the callee"
    said is that announcement (nothing said later counts: that is a person talking)."""
    first = first_words(record)
    outcome = announcements.heard(first)
    return CallResult(outcome, announcement=first) if outcome is not None else None


def asked_not_to_call(record: CallRecord, phrases: list[re.Pattern[str]]) -> str | None:
    """The callee's words, when they asked not to be called again (the survey flow does not
    listen for it: the campaign does, for every call it places)."""
    return next(
        (
            turn.caller_text
            for turn in record.turns
            if turn.caller_text and any(phrase.search(turn.caller_text) for phrase in phrases)
        ),
        None,
    )


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
        do_not_call_phrases: list[str] | None = None,
        announcements: Announcements | None = None,
        push_results: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._sip = sip
        self._tickets = tickets
        self._consumer = consumer
        self._tick_s = tick_s
        self._lease_s = lease_s
        self._opt_out_phrases = [re.compile(phrase) for phrase in do_not_call_phrases or []]
        self._announcements = announcements or Announcements({})
        self._push_results = push_results  # finished contacts go to the webhook outbox
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

    async def _call_data(self, campaign: Campaign, contact: Contact) -> dict[str, Any]:
        ticket = await self._tickets.get(contact.ticket_id) if contact.ticket_id else None
        return survey_call_data(contact, ticket, campaign.calling_windows().zone).values()

    async def _attempt(self, campaign: Campaign, entry: str, phone: str) -> None:
        contact = await self._store.contact(campaign.id, phone)
        if contact is None or contact.done or any(a.entry == entry for a in contact.attempts):
            await self._store.release(campaign.id, phone, entry)  # dealt with before a crash
            return
        if await self._store.on_do_not_call(phone):  # asked, in another campaign, since import
            reason = await self._store.do_not_call_reason(phone)
            contact.do_not_call = reason.said if reason else None
            contact.outcome, contact.done = Outcome.OPTED_OUT, True
            await self._store_outcome(campaign.id, entry, Settled(contact))
            return
        lease = asyncio.create_task(self._keep_lease(campaign.id, entry))
        try:
            await self._call(campaign, entry, contact)
        finally:
            lease.cancel()

    async def _call(self, campaign: Campaign, entry: str, contact: Contact) -> None:
        data = await self._call_data(campaign, contact)  # before dialling: no wait on Redis
        attempt = Attempt(number=len(contact.attempts) + 1, started_at=self._clock(), entry=entry)
        dialled = await self._sip.dial(contact.phone, campaign.trunk)
        attempt.sip_status = dialled.status
        opt_out = None
        if dialled.call is None:
            result = await self._unanswered(dialled)
        else:
            attempt.call_id = SipCalls.record_id(dialled.call)
            opening = FirstAudio(OPENING_S)
            dialled.call.rtp.monitors.add(opening.monitor)
            record = await self._sip.converse(dialled.call, campaign.flow, data)
            announced = await self._announced_after_answer(record, opening.audio)
            result = announced or outcome_of_call(record)
            said = None if announced else asked_not_to_call(record, self._opt_out_phrases)
            if said is not None:
                opt_out = OptOut(
                    said=said, campaign_id=campaign.id, call_id=attempt.call_id, at=self._clock()
                )
                contact.do_not_call = said
                if result.outcome is not Outcome.COMPLETED:
                    result = replace(result, outcome=Outcome.OPTED_OUT)
        outcome, answers = result.outcome, result.answers
        attempt.ended_at = self._clock()
        attempt.outcome = outcome
        attempt.announcement = result.announcement
        contact.attempts.append(attempt)
        contact.outcome = outcome
        contact.answers = answers if answers is not None else contact.answers
        contact.evidence = result.evidence if answers is not None else contact.evidence
        again_at = self._again_at(campaign, attempt, answers)
        contact.done = again_at is None
        logger.info(f"campaign {campaign.id}: attempt {attempt.number} → {outcome}")
        CAMPAIGN_ATTEMPTS.labels(outcome).inc()
        await self._store_outcome(campaign.id, entry, Settled(contact, again_at, opt_out))

    async def _unanswered(self, dialled: DialResult) -> CallResult:
        """An unanswered call's outcome: what the carrier's announcement said, if it played
        one as early media, else what the SIP status says."""
        announced = await self._announcement_in(dialled.early_audio)
        return announced or CallResult(_UNANSWERED[dialled.outcome.value])

    async def _announced_after_answer(
        self, record: CallRecord, opening: bytes
    ) -> CallResult | None:
        """An announcement after an answer: the first words the call heard, or — when the flow
        hung up on a machine that opened like an announcement — its first seconds heard again
        with the announcements in mind."""
        announced = announced_after_answer(record, self._announcements)
        if (
            announced is None
            and "machine" in hangup_steps(record)
            and self._announcements.opens(first_words(record))
        ):
            announced = await self._announcement_in(opening)
        return announced

    async def _announcement_in(self, audio: bytes) -> CallResult | None:
        """The carrier's announcement in `audio`, decoded with the announcements as context."""
        if not audio:
            return None
        heard = await self._sip.hear(audio, self._announcements.prompt(QUESTION_CHARS))
        announced = self._announcements.heard(heard)
        return CallResult(announced, announcement=heard) if announced is not None else None

    @staticmethod
    def _again_at(
        campaign: Campaign, attempt: Attempt, answers: dict[str, Any] | None
    ) -> float | None:
        """When to call again (in a calling window), or None when the contact is done."""
        outcome, ended_at = attempt.outcome, attempt.ended_at or attempt.started_at
        if attempt.number >= campaign.attempts or outcome not in RETRY | RETRY_LATER:
            return None
        windows = campaign.calling_windows()
        if outcome in RETRY_LATER:
            return windows.next_open(ended_at + campaign.later_retry_delay_s)
        asked = windows.next_local_time((answers or {}).get("callback_time") or "", ended_at)
        return windows.next_open(asked or ended_at + campaign.retry_delay_s)

    async def _store_outcome(self, campaign_id: str, entry: str, settled: Settled) -> None:
        """A call that took place is never forgotten: through a Redis outage the outcome is
        kept here and stored as soon as Redis answers again."""
        deadline = self._clock() + OUTCOME_PATIENCE_S
        if self._push_results and settled.contact.done:
            settled = replace(settled, result=ContactResult.of(campaign_id, settled.contact))
        while True:
            try:
                await self._store.finish(campaign_id, entry, settled)
                return
            except StoreUnavailable as exc:
                if self._clock() > deadline:
                    raise
                logger.warning(f"campaign {campaign_id}: outcome of {entry} waits: {exc}")
                await asyncio.sleep(1)
