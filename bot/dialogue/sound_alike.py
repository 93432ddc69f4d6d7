"""Phrases found in a transcript by how they sound, not how the recogniser spelt them.

On a phone line the recogniser often writes a word as another with the same or nearly the same
pinyin ("着伙了" for 着火了, "转人公" for 转人工). Words that must never be missed (emergencies, a
request for a person) are therefore also matched on toneless pinyin, with the classic Mandarin
confusions folded together: z/zh, c/ch, s/sh, n/l, f/h(u), in/ing, en/eng, an/ang, and ü/i
(语 ~ 已, as southern speakers and the recogniser both merge them). A character
may be read several ways (着: zhe, zhao, zhuo), so every reading of a transcript's character
counts, against the phrase as it is said. What is heard this way
is a cue to ask or to act safely, never a value to store.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

from pypinyin import Style, pinyin

# Shorter phrases match too much by sound alone (杀人 ~ 傻人, 持刀 ~ 迟到).
MIN_SYLLABLES = 3
_HANZI = re.compile(r"[\u4e00-\u9fff]")
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))
# ü spelt after j, q, x, y (ju, xue, yuan) and as v after l (lv, lve), heard as i.
_U_UMLAUT = re.compile(r"^([jqxy])u|^lv")


def fold(syllable: str) -> str:
    """One toneless syllable with the confusable sounds made equal."""
    for spelt, heard in _INITIALS:
        if syllable.startswith(spelt):
            syllable = heard + syllable[len(spelt) :]
            break
    if syllable.startswith("n") and not syllable.startswith("ng"):
        syllable = "l" + syllable[1:]
    if syllable.startswith("f"):  # fu ~ hu, fang ~ huang
        syllable = "hu" + syllable[2:] if syllable.startswith("fu") else "hu" + syllable[1:]
    for spelt, heard in _FINALS:
        if syllable.endswith(spelt):
            syllable = syllable[: -len(spelt)] + heard
            break
    syllable = _U_UMLAUT.sub(lambda m: (m.group(1) or "l") + "i", syllable)
    return syllable


@functools.cache
def _readings(char: str) -> frozenset[str]:
    """Every folded reading of one character."""
    return frozenset(fold(s) for s in pinyin(char, style=Style.NORMAL, heteronym=True)[0])


def sounds(text: str) -> list[frozenset[str]]:
    """The folded readings of each Chinese character of the text, in order."""
    return [_readings(char) for char in _HANZI.findall(text)]


def spoken(phrase: str) -> list[str]:
    """The folded syllables of a phrase as it is said (着火: zhao huo, not zhe huo)."""
    return [fold(s[0]) for s in pinyin("".join(_HANZI.findall(phrase)), style=Style.NORMAL)]


def _misheard(heard: list[frozenset[str]], phrase: list[str]) -> int:
    """The fewest syllables of `phrase` heard otherwise, wherever it best lines up."""
    width = len(phrase)
    return min(
        (
            sum(phrase[i] not in heard[start + i] for i in range(width))
            for start in range(len(heard) - width + 1)
        ),
        default=width,
    )


class SoundAlikes:
    """Which of some named groups of phrases a transcript sounds like it contains; with
    `one_off_from`, phrases at least that many syllables long also match with one syllable
    heard as another (暂时无法接通 in "再时无法接通")."""

    def __init__(
        self, groups: Mapping[str, Iterable[str]], one_off_from: int | None = None
    ) -> None:
        self._groups = {
            name: [spoken(phrase) for phrase in phrases if len(spoken(phrase)) >= MIN_SYLLABLES]
            for name, phrases in groups.items()
        }
        self._one_off_from = one_off_from

    def heard(self, text: str) -> set[str]:
        """The groups one of whose phrases the text sounds like it contains."""
        return set(self._matches(text))

    def nearest(self, text: str) -> set[str]:
        """The groups heard with the fewest syllables off (an exact sound beats one off)."""
        matches = self._matches(text)
        return {name for name, off in matches.items() if off == min(matches.values())}

    def _matches(self, text: str) -> dict[str, int]:
        """Each group heard, with how many syllables off its best phrase was."""
        heard = sounds(text)
        matches = {}
        for name, phrases in self._groups.items():
            off = min(
                (
                    misheard
                    for phrase in phrases
                    if (misheard := _misheard(heard, phrase)) <= self._allowed(phrase)
                ),
                default=None,
            )
            if off is not None:
                matches[name] = off
        return matches

    def _allowed(self, phrase: list[str]) -> int:
        return int(self._one_off_from is not None and len(phrase) >= self._one_off_from)
