"""A correction that names both the wrong words and the right ones.

Callers correct a value by saying what it is not and what it is, in either order: "是102号
不是120号", "不是8栋 是18栋", "八八八八说错了 应该是八八九九", "把东路改成西路". The value
given before is changed where it holds the wrong words, and only there: the right words
replace the wrong ones and nothing else of the value changes. Where the wrong words are not in
the value (or are there twice), this reading says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.dialogue import extractors

_WORDS = r"[^\s，。,.！？!?；;是]{1,12}?"
_END = r"(?=$|[\s，。,.！？!?；;]|的|啊|呀|吧|了)"
_PAIRS = (
    re.compile(rf"不是\s*(?P<wrong>{_WORDS})[\s，,]*(?:而|应该|就)?是\s*(?P<right>{_WORDS}){_END}"),
    re.compile(
        rf"(?<![不要])是\s*(?P<right>{_WORDS})[\s，,]*(?:而)?不是\s*(?P<wrong>{_WORDS}){_END}"
    ),
    re.compile(
        rf"(?P<wrong>{_WORDS})\s*(?:说错了|记错了|错了)[\s，,]*(?:应该|其实)?是\s*(?P<right>{_WORDS}){_END}"
    ),
    re.compile(rf"把\s*(?P<wrong>{_WORDS})\s*改(?:成|为)\s*(?P<right>{_WORDS}){_END}"),
)
# Units said after a number on both sides ("120号" → "102号"): the number alone is looked for.
_UNIT = re.compile(r"(?<=\d)[^\d]{1,2}$")


@dataclass(frozen=True)
class SaidInstead:
    """The words the caller took back and the words they put in their place."""

    wrong: str
    right: str


def said_instead(text: str) -> SaidInstead | None:
    """The wrong and the right words of a correction, digits as Arabic numerals."""
    said = extractors.normalize_digits(text)
    for pair in _PAIRS:
        match = pair.search(said)
        if match and match["wrong"] != match["right"]:
            return SaidInstead(match["wrong"], match["right"])
    return None


def replaced(old: str, correction: SaidInstead) -> str | None:
    """The old value with the wrong words replaced by the right ones, or None when the value
    does not hold the wrong words exactly once."""
    wrong, right = correction.wrong, correction.right
    if old.count(wrong) != 1:
        unit = _UNIT.search(wrong)
        if unit is None or not right.endswith(unit[0]):
            return None
        wrong, right = wrong[: unit.start()], right[: -len(unit[0])]
        if old.count(wrong) != 1:
            return None
    return old.replace(wrong, right)
