"""The slot-type contract: each type owns its extraction, validation, spoken form and ASR hint."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from bot.flows.model import Slot

_DIGIT_GROUP = re.compile(r"[0-9零〇一二两三四五六七八九幺]{3,}")
_PUNCTUATION = re.compile(r"[\s，。！？；、,.!?;：:]+")
# "不是21号", "不是康乐路": the value the caller takes back.
_NEGATED = re.compile(r"不是[^，。,.!?！？\s是]{1,15}")
# "…哦不对，是…", "…我说错了…": what follows is the caller's final word.
SELF_CORRECTION = re.compile(
    r"哦不对|不对不对|不对|我说错了|说错了|错了|应该是|改成|更正一下|不是\s*(?=是)"
)


def final_words(text: str) -> str:
    """The caller's words without what they took back: negated values dropped, and after a
    self-correction only what follows it (when something follows)."""
    kept = _NEGATED.sub(" ", text)
    parts = [part for part in SELF_CORRECTION.split(kept) if plain(part)]
    if len(parts) > 1 and SELF_CORRECTION.search(kept):
        return parts[-1]
    return kept


def plain(text: str) -> str:
    """Text without spaces and punctuation, for containment checks."""
    return _PUNCTUATION.sub("", text)


class SlotType:
    """How one kind of value is read from caller words and said back.

    `certain`: when the extractor finds a value, it is right often enough that the fast path
    may decide alone (well-formed numbers, exact closed answers); other types get a second
    reading from the LLM where one is configured.
    `volunteered`: the value may be taken from any utterance in the flow, not only the answer
    to its own question (a phone number said with the problem).
    `keyed_digits`: a number the caller may type on the keypad instead, ended by #.
    `checked_when_unsure`: a value that reaches or identifies someone (a number, an address)
    or a survey's rating: heard with the recogniser unsure of it, the bot says it back before
    going on.
    """

    name: ClassVar[str]
    certain: ClassVar[bool] = False
    volunteered: ClassVar[bool] = False
    keyed_digits: ClassVar[bool] = False  # may be typed on the keypad, ended by #
    checked_when_unsure: ClassVar[bool] = False

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        """The value in the caller's words, normalised, or None when there is none."""
        raise NotImplementedError

    def answer_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        """The value in a direct answer to this slot's own question (may be more lenient
        than `extract`, which also reads words said for other reasons)."""
        return self.extract(text, slot, today)

    def volunteered_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        """The value in words that did not answer this slot's question (stricter for types
        whose plain answers, such as 是, mean something only in reply to their question)."""
        return self.extract(text, slot, today)

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """A value proposed by another reader (the LLM), normalised, or None when it is not a
        value of this type or the caller did not say it."""
        normalised = self.extract(value, slot, today)
        if normalised is None:
            return None
        return normalised if self.said(normalised, value, utterance, slot, today) else None

    def said(self, normalised: Any, value: str, utterance: str, slot: Slot, today: dt.date) -> bool:
        """Whether the caller's own words carry this value (never store an invented one)."""
        return (bool(plain(value)) and plain(value) in plain(final_words(utterance))) or (
            self.extract(utterance, slot, today) == normalised
        )

    def spoken(self, value: Any, slot: Slot) -> str:
        """How the bot says the value back (read-backs, confirmations)."""
        return "" if value is None else str(value)

    def completes(self, text: str, slot: Slot, today: dt.date) -> bool | None:
        """Whether words heard so far, at a pause in the answer to this slot's question,
        already hold a whole value (the turn may end: True), stop partway through a number
        (wait for the rest: False), or tell neither (None). Only types whose values are
        certain when found can say True."""
        if not self.certain:
            return None
        if self.answer_value(text, slot, today) is not None:
            return True
        return False if self.keyed_digits and _DIGIT_GROUP.search(plain(text)) else None

    @property
    def asr_hint(self) -> str:
        """What the speech recogniser is told to expect (place names for addresses)."""
        return self.name
