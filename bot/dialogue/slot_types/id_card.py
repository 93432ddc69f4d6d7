"""Resident ID numbers (18 characters, checksum and birth date verified)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.dialogue.slot_types.spelling import spell_digits
from bot.flows.model import Slot


class IdCardType(SlotType):
    name = "id_card"
    keyed_digits = True
    certain = True
    volunteered = True
    checked_when_unsure = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_id_card(text)

    def said(self, normalised: Any, value: str, utterance: str, slot: Slot, today: dt.date) -> bool:
        return self.extract(utterance, slot, today) == normalised

    def spoken(self, value: Any, slot: Slot) -> str:
        return spell_digits(str(value)) if value else ""
