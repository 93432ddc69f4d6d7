"""What a campaign call's flow may say about the contact's request: its templates' call data.

The contacts file speaks first; a ticket the bot itself issued fills in what the file leaves
out. Missing values are left out of the data, so the flow's optional parts drop them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.campaigns.model import Contact
from bot.tickets.ticket import Ticket


@dataclass(frozen=True)
class SurveyCallData:
    contact_name: str | None = None
    ticket: str | None = None  # where the survey's answers are recorded (a bot-issued ticket)
    ticket_id: str | None = None  # the work-order id as the centre writes it, to be read out
    ticket_category: str | None = None
    ticket_summary: str | None = None
    ticket_department: str | None = None
    reported: dt.date | None = None

    def values(self) -> dict[str, Any]:
        """The flow's call data: only what is known, the reported date as month and day."""
        values: dict[str, Any] = {
            name: value
            for name, value in vars(self).items()
            if value is not None and name != "reported"
        }
        if self.reported is not None:
            values["reported_month"] = self.reported.month
            values["reported_day"] = self.reported.day
        return values


def survey_call_data(contact: Contact, ticket: Ticket | None, zone: ZoneInfo) -> SurveyCallData:
    created = dt.datetime.fromtimestamp(ticket.created_at, zone).date() if ticket else None
    return SurveyCallData(
        contact_name=contact.name or (ticket.contact_name if ticket else None),
        ticket=contact.ticket_id,
        ticket_id=contact.ticket_id,
        ticket_category=contact.category or (ticket.category if ticket else None),
        ticket_summary=contact.summary,
        ticket_department=contact.department,
        reported=contact.reported or created,
    )
