"""Calendar dates, absolute ("3月5号") or relative ("下周一"), stored ISO."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot


class DateType(SlotType):
    name = "date"
    certain = True
    volunteered = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        date = extractors.extract_date(text, today)
        return date.isoformat() if date else None

    def spoken(self, value: Any, slot: Slot) -> str:
        if not value:
            return ""
        date = dt.date.fromisoformat(str(value))
        return f"{date.month}月{date.day}日"
