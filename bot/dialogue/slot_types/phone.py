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
THIS_NUMBER = re.compile(
    r"(?:就|打)?(?:这个|本|来电|现在这个|打进来的?)(?:号码?|手机|电话)|本机|"
    r"(?:打|用|就)这个(?:号|吧|就行|就可以)|就打这个"
)


_GROUPS = re.compile(r"[\s，,、-]+")
# The tail of a number corrected on its own ("最后四位是二二九四", "尾号应该是8861").
_TAIL = re.compile(
    r"(?:最后|后|末|尾号)(?:[两二三四五2345]位)?(?:数)?(?:是|应该是|改成|为)?\s*(\d{2,5})"
)


def corrected_phone(old: str, correction: str) -> str | None:
    """The old number with the tail the caller corrected, or None when no tail is named."""
    match = _TAIL.search(extractors.normalize_digits(correction.replace(" ", "")))
    digits = old.replace("-", "")
    if match is None or len(match[1]) >= len(digits):
        return None
    corrected = digits[: -len(match[1])] + match[1]
    return extractors.extract_phone(corrected) if corrected != digits else None


def _grouped_number(text: str) -> str | None:
    """A number said in groups after a stray group ("一三二 一三二 二三四五 六七八九"): the
    last run of groups that makes a whole number."""
    groups = [extractors.normalize_digits(group) for group in _GROUPS.split(text) if group.strip()]
    digits = [group if group.isdigit() else "" for group in groups]
    for end in range(len(digits), 0, -1):
        for start in range(end - 1, -1, -1):
            if not digits[start]:
                break
            joined = "".join(digits[start:end])
            if len(joined) > 12:
                break
            phone = extractors.extract_phone(joined)
            if phone and phone.replace("-", "") == joined:
                return phone
    return None


class PhoneType(SlotType):
    name = "phone"
    keyed_digits = True
    certain = True
    volunteered = True
    checked_when_unsure = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return extractors.extract_phone(text) or _grouped_number(text)

    def said(self, normalised: Any, value: str, utterance: str, slot: Slot, today: dt.date) -> bool:
        digits = str(normalised).replace("-", "")
        return digits in extractors.normalize_digits(utterance).replace("-", "").replace(" ", "")

    def spoken(self, value: Any, slot: Slot) -> str:
        return spell_digits(str(value)) if value else ""


def held_digits(text: str) -> str:
    """The digits of a number the caller stopped partway through ("一三八 零零幺二")."""
    return "".join(ch for ch in extractors.normalize_digits(text) if ch.isdigit())


def continued(held: str, words: str) -> str:
    """The caller's next words read as the rest of a number begun before: the whole number
    first, then the words ("后面是 九九八八" after "一三八 零零幺二"). A number said again from
    the start is read as said."""
    rest = held_digits(words)
    if not rest or extractors.extract_phone(rest):
        return words
    return f"{held}{rest} {words}"
