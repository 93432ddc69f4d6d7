"""A finished contact as the work-order system receives it (webhook) and the export lists it:
every answer with the callee's words it was taken from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from bot.campaigns.model import Contact, Outcome


class AnswerGiven(BaseModel):
    value: Any
    said: str | None = Field(description="The callee's words the answer was taken from")


class ContactResult(BaseModel):
    idempotency_key: str = Field(description="<campaign id>:<phone>: one result per contact")
    campaign_id: str
    phone: str
    ticket_id: str | None
    name: str | None
    category: str | None
    department: str | None
    reported: dt.date | None
    outcome: Outcome | None
    finished: bool
    attempts: int
    last_attempt_at: float | None
    call_ids: list[str] = Field(description="Call records of the answered attempts")
    answers: dict[str, AnswerGiven]
    do_not_call: str | None = Field(description="The callee's words asking not to be called")
    announcement: str | None = Field(
        default=None, description="The carrier's announcement behind the outcome, as heard"
    )

    @classmethod
    def of(cls, campaign_id: str, contact: Contact) -> ContactResult:
        answers = {
            name: AnswerGiven(value=value, said=contact.evidence.get(name))
            for name, value in (contact.answers or {}).items()
            if value is not None
        }
        return cls(
            idempotency_key=f"{campaign_id}:{contact.phone}",
            campaign_id=campaign_id,
            phone=contact.phone,
            ticket_id=contact.ticket_id,
            name=contact.name,
            category=contact.category,
            department=contact.department,
            reported=contact.reported,
            outcome=contact.outcome,
            finished=contact.done,
            attempts=len(contact.attempts),
            last_attempt_at=contact.attempts[-1].started_at if contact.attempts else None,
            call_ids=[a.call_id for a in contact.attempts if a.call_id],
            answers=answers,
            do_not_call=contact.do_not_call,
            announcement=contact.attempts[-1].announcement if contact.attempts else None,
        )
