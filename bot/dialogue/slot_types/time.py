"""Clock times ("下午三点", "15:30"), stored HH:MM."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot

# A bare "四点" asked of a time to call back means the afternoon: nobody asks a hotline to call
# at four in the morning. Said with a morning word, it stays as said.
_MORNING = re.compile(r"凌晨|早上|早晨|清早|一早|上午|半夜|夜里")
_LAST_MORNING_HOUR = 6


class TimeType(SlotType):
    name = "time"
    certain = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        time = extractors.extract_time(text)
        if time is None:
            return None
        if 1 <= time.hour <= _LAST_MORNING_HOUR and not _MORNING.search(text):
            time = time.replace(hour=time.hour + 12)
        return time.strftime("%H:%M")

    def spoken(self, value: Any, slot: Slot) -> str:
        if not value:
            return ""
        hour, minute = (int(part) for part in str(value).split(":"))
        return f"{hour}点{minute}分" if minute else f"{hour}点"
