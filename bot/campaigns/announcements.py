"""Carrier announcements told apart by what they say: "您拨打的电话已关机" is `powered_off`,
"…是空号" `invalid_number`. In China an unanswered mobile call usually ends in one, played as
early media before the failure status (whose code alone says little: a 480 is 关机 as often as
无法接通) or after an answer. The phrasings come from `campaigns.announcements`; they are matched
on the transcript's words, then on its sound (the recogniser on a phone line writes 关机 as 观机),
and a transcript that sounds like two different announcements is none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.campaigns.model import Outcome
from bot.dialogue.sound_alike import SoundAlikes

# Phrases this many syllables long match with one syllable misheard ("再时无法接通"); shorter
# ones would match too much ("与关机" is not 已关机 for sure).
ONE_OFF_FROM = 4
# How Chinese carriers' announcements open.
OPENING = "您拨打的电话"
OPENINGS = ("您拨打的", "您所拨打的")
_HANZI = re.compile(r"[\u4e00-\u9fff]")
_NOT_WORDS = re.compile(r"[\s，。、！？,.!?：:；;\"'“”‘’（）()]+")


def _plain(text: str) -> str:
    return _NOT_WORDS.sub("", text).lower()


class Announcements:
    """Which carrier announcement a transcript is, if any."""

    def __init__(self, phrasings: Mapping[Outcome, Iterable[str]]) -> None:
        self._said = {outcome: list(phrases) for outcome, phrases in phrasings.items()}
        self._plain = {
            outcome: [_plain(phrase) for phrase in phrases]
            for outcome, phrases in self._said.items()
        }
        self._sound_alikes = SoundAlikes(
            {outcome.value: phrases for outcome, phrases in self._said.items()},
            one_off_from=ONE_OFF_FROM,
        )
        self._openings = SoundAlikes({"opening": OPENINGS}, one_off_from=ONE_OFF_FROM)

    def prompt(self, limit: int) -> str:
        """Decoder context for hearing an announcement (at most `limit` characters): the
        Chinese phrasings, a first one of each outcome before any second one, then how
        announcements open, for the audio to go on from. With it Whisper base writes the
        announcements' own words far more often (bench/call_progress.py); and a whole
        announcement ("您拨打的电话已关机") is never part of it, so the recogniser's guard
        against echoes of its prompt keeps it."""
        chinese = [[p for p in phrases if _HANZI.search(p)] for phrases in self._said.values()]
        ranked = [
            phrases[n]
            for n in range(max(map(len, chinese), default=0))
            for phrases in chinese
            if n < len(phrases)
        ]
        listed = ""
        for phrase in ranked:
            if len(listed) + len(phrase) + 1 + len(OPENING) > limit:
                break
            listed += phrase + "，"
        return listed.rstrip("，") + "。" + OPENING

    def opens(self, text: str) -> bool:
        """Whether `text` sounds like the start of an announcement ("您播打低…"): worth hearing
        again with the announcements as context (a phone assistant's greeting is not — that
        context would pull its words towards an announcement's)."""
        return bool(self._openings.heard(text))

    def heard(self, text: str) -> Outcome | None:
        """The outcome the announcement in `text` gives; None when it is none, or unclear."""
        plain = _plain(text)
        said = {
            outcome
            for outcome, phrases in self._plain.items()
            if any(phrase and phrase in plain for phrase in phrases)
        }
        found = said or {Outcome(name) for name in self._sound_alikes.nearest(text)}
        return found.pop() if len(found) == 1 else None
