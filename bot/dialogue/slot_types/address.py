"""Street addresses: a heuristic reading, so not certain enough to skip the LLM."""

from __future__ import annotations

import datetime as dt
import re

import cn2an
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


_CLAUSES = re.compile(r"[，。！？；、,.!?;：:]+")
_LEAD_IN = re.compile(r"^(?:在|是|就在|我住在?|我家在?|住在|地址是|地点是|位置是|大概在|应该是)")
# A place has a name: two or more characters before a place unit, or a numbered building.
_NAMED_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:区|县|镇|乡|街道|大道|路|街|巷|弄|村|小区|花园|公寓|大厦|家园|苑|庭|城|"
    r"湾|广场|社区|市场|商场|公园|医院|学校|中学|小学|站)|\d+(?:号楼|号院|号|栋|幢|单元|室)"
)
# Words that never sit inside an address: what callers say around one ("爬不动楼").
_NOT_IN_ADDRESS = re.compile(
    r"[不没很太往冒就都也还又要着过吗呢吧啊哗]|走路|每天|天天|名字|公交|那个|这个|俺们|我们|整栋|半条|"
    r"一条|时候|对面的|旁边的"
)


_CN_NUMBERED = re.compile(r"[零〇一二两三四五六七八九十百]+(?=号|栋|幢|单元|楼|室|层|弄|巷)")


def _arabic_numbers(text: str) -> str:
    """House numbers in Arabic digits ("一百零八号" → "108号")."""

    def arabic(match: re.Match[str]) -> str:
        try:
            return str(cn2an.cn2an(match[0], "smart"))
        except ValueError:
            return match[0]

    return _CN_NUMBERED.sub(arabic, extractors.normalize_digits(text))


def plausible_address(text: str) -> bool:
    return bool(_NAMED_PLACE.search(text)) and not _NOT_IN_ADDRESS.search(text)


def find_address(text: str) -> str | None:
    """The first stretch of the caller's words that reads like a real address."""
    for clause in _CLAUSES.split(_arabic_numbers(text)):
        rest = clause
        while rest:
            found = extractors.extract_address(rest)
            if found is None:
                break
            if plausible_address(found):
                return found
            end = rest.find(found)
            rest = rest[end + len(found) :] if end >= 0 else ""
    return None


class AddressType(SlotType):
    name = "address"
    volunteered = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return find_address(text)

    def answer_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        """An answer to the address question itself: the caller's words when they name a
        place ("南湖区 地铁湖滨站 B口"), even where the heuristic finds no street address."""
        found = find_address(text)
        if found is not None:
            return found
        said = _LEAD_IN.sub("", re.sub(r"[\s，。,.]+", "", _arabic_numbers(text)))
        return said if plausible_address(said) and len(said) <= 40 else None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The LLM's address must be the caller's words (numbers normalised), not a
        paraphrase, and must name a place."""
        said = re.sub(r"[\s，。,.]+", "", _arabic_numbers(utterance))
        value = re.sub(r"[\s，。,.]+", "", _arabic_numbers(value))
        if not (find_address(value) or plausible_address(value)):
            return None
        return value if value in said else None
