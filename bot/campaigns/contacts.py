"""Contacts from a CSV file: every row is taken, merged or reported.

Columns: phone (required), ticket_id, name, and what the survey may say about the request:
category, summary, reported (the date it was reported), department. The ticket id is the
work-order number in whatever format the centre's own system uses."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from bot.campaigns.model import Contact, RowProblem

# Mobile (11 digits from 13x-19x), landline with area code, or a SIP URI (a PBX extension).
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11}|sips?:[^@\s]+@\S+)$")
# A work-order id of any centre: T1, SZ-2026-000123, 12345-20261130-0007, GD/2026/17 — letters,
# digits and - _ /, starting and ending with a letter or digit, with at least one digit (so a
# placeholder such as N/A or "-" is refused rather than read out to the citizen).
_TICKET = re.compile(r"^(?=.*\d)[A-Za-z0-9](?:[A-Za-z0-9_/-]{0,38}[A-Za-z0-9])?$")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
# Spoken text columns and their longest sensible length (a summary is one short phrase).
TEXT_COLUMNS = {"name": 32, "category": 20, "summary": 40, "department": 30}
OPTIONAL_COLUMNS = ("ticket_id", *TEXT_COLUMNS, "reported")


def normalise_phone(raw: str) -> str:
    value = raw.strip()
    if value.startswith(("sip:", "sips:")):
        return value
    value = re.sub(r"[\s\-()]", "", value)
    return value[3:] if value.startswith("+86") else value


def reported_date(raw: str, today: dt.date) -> dt.date:
    """2026-11-20, 2026/11/20 or 2026.11.20 (a time after it is ignored); not in the future."""
    match = _DATE.match(raw)
    if match is None:
        raise ValueError(f"reported '{raw}' is not a date like 2026-11-20")
    try:
        day = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(f"reported '{raw}' is not a date like 2026-11-20") from exc
    if day > today:
        raise ValueError(f"reported '{raw}' is in the future")
    return day


def contact_from_row(fields: dict[str, str], today: dt.date) -> Contact:
    """One row as a contact; ValueError says what is wrong with it."""
    phone = normalise_phone(fields.get("phone", ""))
    if not phone:
        raise ValueError("no phone number")
    if not _PHONE.match(phone):
        raise ValueError(f"'{fields.get('phone')}' is not a phone number")
    ticket = fields.get("ticket_id") or None
    if ticket and not _TICKET.match(ticket):
        raise ValueError(
            f"ticket_id '{ticket}' is not a work-order id (1-40 letters, digits, - _ /, "
            "with a digit)"
        )
    texts: dict[str, str | None] = {}
    for column, longest in TEXT_COLUMNS.items():
        texts[column] = fields.get(column) or None
        if len(texts[column] or "") > longest:
            raise ValueError(f"{column} longer than {longest} characters")
    raw_date = fields.get("reported")
    reported = reported_date(raw_date, today) if raw_date else None
    return Contact.model_validate(
        {"phone": phone, "ticket_id": ticket, "reported": reported, **texts}
    )


@dataclass
class ContactImport:
    contacts: list[Contact] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates_merged: int = 0
    do_not_call_skipped: int = 0


def read_contacts(text: str, do_not_call: set[str], today: dt.date | None = None) -> ContactImport:
    """Validate rows: bad ones are reported (row, reason) and skipped, duplicate numbers are
    merged into one contact, numbers on the do-not-call list are skipped and counted."""
    result = ContactImport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    if "phone" not in columns:
        result.problems.append(RowProblem(row=1, reason="the header has no 'phone' column"))
        return result
    by_phone: dict[str, Contact] = {}
    for row_number, row in enumerate(reader, start=2):
        fields = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            contact = contact_from_row(fields, today or dt.date.today())
        except ValueError as exc:
            result.problems.append(RowProblem(row=row_number, reason=str(exc)))
            continue
        if contact.phone in do_not_call:
            result.do_not_call_skipped += 1
            continue
        known = by_phone.setdefault(contact.phone, contact)
        if known is not contact:
            for column in OPTIONAL_COLUMNS:  # the first row's value wins, blanks are filled
                if getattr(known, column) is None:
                    setattr(known, column, getattr(contact, column))
            result.duplicates_merged += 1
    result.contacts = list(by_phone.values())
    return result
