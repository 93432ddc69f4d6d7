"""Mainland mobile and landline numbers; 11 digits said back digit by digit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType
from bot.dialogue.slot_types.spelling import spell_digits
from bot.flows.model import Slot

# "The number I am calling from": the caller's own number, which the call knows.
THIS_NUMBER = re.compile(r"(?:就|打)?(?:这个|本|来电|现在这个|打进来的?)(?:号码?|手机|电话)|本机")


class PhoneType(SlotType):
    name = "phone"
    certain = True
    volunteered = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_phone(text)

    def said(self, normalised: Any, value: str, utterance: str, slot: Slot, today: dt.date) -> bool:
        digits = str(normalised).replace("-", "")
        return digits in extractors.normalize_digits(utterance).replace("-", "").replace(" ", "")

    def spoken(self, value: Any, slot: Slot) -> str:
        return spell_digits(str(value)) if value else ""
