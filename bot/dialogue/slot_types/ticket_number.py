"""A work-order number: the bot's own (date + sequence) or the centre's, letters and digits."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.dialogue.slot_types.spelling import spell_digits
from bot.flows.model import Slot

_NUMBER = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{0,4}\d{6,20})(?![0-9A-Za-z])")


class TicketNumberType(SlotType):
    name = "ticket_number"
    keyed_digits = True
    certain = True
    volunteered = True
    checked_when_unsure = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        said = re.sub(r"[\s\-－–—]+", "", extractors.normalize_digits(text.upper()))
        if extractors.extract_phone(said) == said:
            return None  # a phone number is not a work-order number
        for match in _NUMBER.finditer(said):
            if extractors.extract_phone(match[1]) != match[1]:  # "登记的电话是135…" is no ticket
                return match[1]
        return None

    def spoken(self, value: Any, slot: Slot) -> str:
        if not value:
            return ""
        letters = "".join(char for char in str(value) if char.isalpha())
        return f"{letters}{spell_digits(str(value))}"
