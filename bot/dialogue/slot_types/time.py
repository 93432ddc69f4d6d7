"""Clock times ("下午三点", "15:30"), stored HH:MM."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot


class TimeType(SlotType):
    name = "time"
    certain = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        time = extractors.extract_time(text)
        return time.strftime("%H:%M") if time else None

    def spoken(self, value: Any, slot: Slot) -> str:
        if not value:
            return ""
        hour, minute = (int(part) for part in str(value).split(":"))
        return f"{hour}点{minute}分" if minute else f"{hour}点"
