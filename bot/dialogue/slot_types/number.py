"""Plain quantities in Arabic or Chinese numerals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot


class NumberType(SlotType):
    name = "number"
    keyed_digits = True
    certain = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_number(text)
