"""Street addresses: a heuristic reading, so not certain enough to skip the LLM."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.flows.model import Slot

# The numbered parts of an address a caller corrects on their own ("门牌是12号").
_NUMBERED_PART = re.compile(r"(\d+)(号楼|号院|号|栋|幢|单元|楼|室|层)")


def corrected_address(old: str, correction: str) -> str | None:
    """The old address with the numbered parts the correction names replaced, or None when
    the correction names none that the old address has."""
    parts = {unit: number for number, unit in _NUMBERED_PART.findall(
        extractors.normalize_digits(correction)
    )}
    if not parts:
        return None
    new, replaced = old, False
    for unit, number in parts.items():
        matches = [m for m in _NUMBERED_PART.finditer(new) if m[2] == unit]
        if matches:
            last = matches[-1]
            new = f"{new[: last.start()]}{number}{unit}{new[last.end():]}"
            replaced = True
    return new if replaced else None


class AddressType(SlotType):
    name = "address"
    volunteered = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_address(text)

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The LLM's address must be the caller's words (digits normalised), not a paraphrase."""
        said = re.sub(r"\s+", "", extractors.normalize_digits(utterance))
        value = re.sub(r"\s+", "", extractors.normalize_digits(value)).strip("，。,.")
        if extractors.extract_address(value) is None:
            return None
        return value if value in said else None
