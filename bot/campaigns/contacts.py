"""Contacts from a CSV file (phone, ticket_id, name): every row is taken, merged or reported."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from bot.campaigns.model import Contact, RowProblem

# Mobile (11 digits from 13x-19x), landline with area code, or a SIP URI (a PBX extension).
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11}|sips?:[^@\s]+@\S+)$")
_TICKET = re.compile(r"^\d{6,20}$")


def normalise_phone(raw: str) -> str:
    value = raw.strip()
    if value.startswith(("sip:", "sips:")):
        return value
    value = re.sub(r"[\s\-()]", "", value)
    return value[3:] if value.startswith("+86") else value


@dataclass
class ContactImport:
    contacts: list[Contact] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    duplicates_merged: int = 0
    do_not_call_skipped: int = 0


def read_contacts(text: str, do_not_call: set[str]) -> ContactImport:
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
        phone = normalise_phone(fields.get("phone", ""))
        ticket, name = fields.get("ticket_id") or None, fields.get("name") or None
        if not phone:
            reason = "no phone number"
        elif not _PHONE.match(phone):
            reason = f"'{fields.get('phone')}' is not a phone number"
        elif ticket and not _TICKET.match(ticket):
            reason = f"ticket_id '{ticket}' is not a ticket number"
        elif name and len(name) > 32:
            reason = "name longer than 32 characters"
        else:
            reason = ""
        if reason:
            result.problems.append(RowProblem(row=row_number, reason=reason))
            continue
        if phone in do_not_call:
            result.do_not_call_skipped += 1
            continue
        if phone in by_phone:
            known = by_phone[phone]
            known.ticket_id = known.ticket_id or ticket
            known.name = known.name or name
            result.duplicates_merged += 1
            continue
        by_phone[phone] = Contact(phone=phone, ticket_id=ticket, name=name)
    result.contacts = list(by_phone.values())
    return result
