"""One of the designer's values, picked by the words callers use for it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue.slot_types.address import find_address
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot

# Words that contain a value's word without meaning it (卫生间 is no 卫生 problem).
_FALSE_FRIENDS = re.compile(r"卫生间|卫生院|卫生所|卫生局|卫生纸")


def _problem_words(text: str) -> str:
    """The text without its address and false friends: a place name such as 坑梓街道 or
    臭水坑村 names no problem."""
    text = _FALSE_FRIENDS.sub(" ", re.sub(r"\s+", "", text))
    address = find_address(text)
    return text.replace(address, " ") if address else text


def named_values(slot: Slot, text: str) -> set[str]:
    """Every value whose name or one of whose words the text contains."""
    assert slot.values is not None
    text = _problem_words(text)
    return {
        value for value, words in slot.values.items() if any(w in text for w in (value, *words))
    }


class EnumType(SlotType):
    name = "enum"
    certain = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        """The value whose name or word comes first in the text (the caller's main point)."""
        assert slot.values is not None
        text = _problem_words(text)
        found: list[tuple[int, str]] = []
        for value, words in slot.values.items():
            positions = [text.find(word) for word in (value, *words) if word in text]
            if positions:
                found.append((min(positions), value))
        return min(found)[1] if found else None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """A value the caller's words name (its name or one of its words). Measured: the
        embedded 1.5B model, asked for a category, picked one the caller's words did not
        support (an address answer read as 市政设施)."""
        return value if self.extract(utterance, slot, today) == value else None
