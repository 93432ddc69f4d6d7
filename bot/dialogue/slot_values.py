"""Slot values: read from caller words by type, and said back in a form callers understand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from bot.dialogue import extractors
from bot.flows.model import Slot
from bot.speech.text_normalizer import spell

SATISFACTION_WORDS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}
DETERMINISTIC = {"phone", "id_card", "date", "time", "number", "yes_no", "satisfaction", "enum"}


def spell_digits(number: str) -> str:
    """Digit by digit, 1 as 幺, the way numbers are read back on the phone."""
    return spell("".join(char for char in number if char.isdigit()))


def _enum_value(slot: Slot, text: str) -> str | None:
    assert slot.values is not None
    for value, words in slot.values.items():
        if value in text or any(word in text for word in words):
            return value
    return None


def extract_value(slot: Slot, text: str, today: Callable[[], dt.date] = dt.date.today) -> Any:
    """The slot's value in `text`, normalised (digits, ISO dates, booleans), or None."""
    match slot.type:
        case "text":
            value = text.strip().rstrip("。.!！")
            return value or None
        case "enum":
            return _enum_value(slot, text)
        case "phone":
            return extractors.extract_phone(text)
        case "id_card":
            return extractors.extract_id_card(text)
        case "address":
            return extractors.extract_address(text)
        case "date":
            date = extractors.extract_date(text, today())
            return date.isoformat() if date else None
        case "time":
            time = extractors.extract_time(text)
            return time.strftime("%H:%M") if time else None
        case "number":
            return extractors.extract_number(text)
        case "yes_no":
            return extractors.extract_yes_no(text)
        case "satisfaction":
            return extractors.extract_satisfaction(text)
    return None


def spoken_value(slot: Slot, value: Any) -> str:
    """How the bot says a slot value back (confirmations, read-backs)."""
    if value is None:
        return ""
    match slot.type:
        case "phone" | "id_card":
            return spell_digits(str(value))
        case "satisfaction":
            return SATISFACTION_WORDS.get(str(value), str(value))
        case "yes_no":
            return "是" if value else "否"
        case "date":
            date = dt.date.fromisoformat(str(value))
            return f"{date.month}月{date.day}日"
        case "time":
            hour, minute = (int(part) for part in str(value).split(":"))
            return f"{hour}点{minute}分" if minute else f"{hour}点"
    return str(value)
