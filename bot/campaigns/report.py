"""What supervisors read about a campaign: counts, progress, ETA, and the per-contact export."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from bot.campaigns.model import Campaign, Contact, Outcome
from bot.campaigns.result import ContactResult


def summary(
    campaign: Campaign, contacts: list[Contact], in_flight: int, now: float
) -> dict[str, Any]:
    """Counts per final outcome, progress, and an ETA from the pace so far."""
    done = [contact for contact in contacts if contact.done]
    attempts = [a for contact in contacts for a in contact.attempts if a.ended_at]
    finals = Counter(contact.outcome.value for contact in done if contact.outcome)
    last_tries = Counter(
        contact.outcome.value for contact in contacts if not contact.done and contact.outcome
    )
    eta_s = None
    if attempts and len(done) < len(contacts):
        mean_s = sum(a.ended_at - a.started_at for a in attempts if a.ended_at) / len(attempts)
        remaining = len(contacts) - len(done)
        eta_s = round(mean_s * remaining / campaign.max_concurrent, 1)
    return {
        "id": campaign.id,
        "status": campaign.status,
        "flow": campaign.flow,
        "contacts": len(contacts),
        "finished": len(done),
        "in_flight": in_flight,
        "progress": round(len(done) / len(contacts), 3) if contacts else 1.0,
        "outcomes": {outcome.value: finals.get(outcome.value, 0) for outcome in Outcome},
        "to_retry": dict(last_tries),
        "attempts": len(attempts),
        "eta_s": eta_s,
        "rejected_rows": [problem.model_dump() for problem in campaign.rejected_rows],
        "duplicates_merged": campaign.duplicates_merged,
        "do_not_call_skipped": campaign.do_not_call_skipped,
        "as_of": now,
    }


ANSWERS = ("resolved", "satisfaction", "comment", "callback_time")
ANSWER_WORDS = {name: f"{name}_said" for name in ANSWERS}
EXPORT_COLUMNS = [
    "phone",
    "ticket_id",
    "name",
    "outcome",
    "finished",
    "attempts",
    "resolved",
    "satisfaction",
    "comment",
    "callback_time",
    "last_attempt_at",
    "category",
    "department",
    "reported",
    # The callee's words each answer was taken from (its evidence).
    *ANSWER_WORDS.values(),
    "do_not_call_said",
    # The carrier's announcement behind the last attempt's outcome (关机, 空号 …), as heard.
    "announcement_heard",
]


def export_csv(contacts: list[Contact]) -> str:
    """One row per contact: outcome, attempts, the answers given and the words behind them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for contact in sorted(contacts, key=lambda c: c.phone):
        answers = contact.answers or {}
        writer.writerow(
            {
                "phone": contact.phone,
                "ticket_id": contact.ticket_id or "",
                "name": contact.name or "",
                "outcome": contact.outcome.value if contact.outcome else "pending",
                "finished": "yes" if contact.done else "no",
                "attempts": len(contact.attempts),
                "resolved": {True: "yes", False: "no"}.get(answers.get("resolved"), ""),  # type: ignore[arg-type]
                "satisfaction": answers.get("satisfaction") or "",
                "comment": answers.get("comment") or "",
                "callback_time": answers.get("callback_time") or "",
                "last_attempt_at": contact.attempts[-1].started_at if contact.attempts else "",
                "category": contact.category or "",
                "department": contact.department or "",
                "reported": contact.reported or "",
                **{column: contact.evidence.get(name, "") for name, column in ANSWER_WORDS.items()},
                "do_not_call_said": contact.do_not_call or "",
                "announcement_heard": contact.attempts[-1].announcement or ""
                if contact.attempts
                else "",
            }
        )
    return out.getvalue()


def export_json(campaign_id: str, contacts: list[Contact]) -> str:
    """Every contact as the webhook sends it: each answer with the callee's words."""
    results = [ContactResult.of(campaign_id, c) for c in sorted(contacts, key=lambda c: c.phone)]
    return json.dumps([result.model_dump(mode="json") for result in results], ensure_ascii=False)
