"""The survey's rating: satisfied, basically satisfied or dissatisfied."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot

SATISFACTION_WORDS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}
# Said unasked (before the rating question), only the rating words themselves count.
_RATING_WORDS = re.compile(r"满意")


class SatisfactionType(SlotType):
    name = "satisfaction"
    certain = True
    volunteered = True
    # The rating is a survey's data product, and phone-band speech turns 不满意 into 满意:
    # every wrong rating bench.expected_answers read was heard below asr.check_below.
    checked_when_unsure = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_satisfaction(text)

    def volunteered_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        return self.extract(text, slot, today) if _RATING_WORDS.search(text) else None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The LLM's rating stands only where the caller's words do not say another one."""
        if value not in SATISFACTION_WORDS:
            return None
        heard = self.extract(utterance, slot, today)
        return value if heard is None or heard == value else None

    def spoken(self, value: Any, slot: Slot) -> str:
        return SATISFACTION_WORDS.get(str(value), "") if value else ""
