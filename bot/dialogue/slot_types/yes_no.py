"""A yes/no answer, stored as a boolean."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot

_BOOLEANS = {"true": True, "false": False, "是": True, "否": False}


class YesNoType(SlotType):
    name = "yes_no"
    certain = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_yes_no(text)

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The LLM's reading stands only where the rules do not read the opposite."""
        answer = _BOOLEANS.get(value.strip().lower())
        heard = self.extract(utterance, slot, today)
        return answer if heard is None or heard == answer else None

    def spoken(self, value: Any, slot: Slot) -> str:
        return "" if value is None else ("是" if value else "否")
