"""When a caller's pause ends the turn: at once when the words already answer the bot, later
when they stop mid-thought.

A fixed silence treats "对" and "我们小区那个……" alike: either the bot is slow to answer the
first or it talks over the second. At a pause the call has a transcript of the words so far
(the speculative final decode) and knows what answer it expects, so it can tell the two apart:

* `COMPLETE`: the words hold a whole value for the closed answer the bot asked for (a yes or
  no, a rating, a full phone number …), or are a question: the turn ends after `complete_s`.
* `UNFINISHED`: they end on a word that cannot end a sentence (那个, 然后, 因为, 在, 的 …) or
  hold part of a number the bot asked for: the turn waits `unfinished_s` for the rest.
* `OPEN`: nothing tells either way: the usual `open_s`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Ending(enum.Enum):
    COMPLETE = "complete"
    OPEN = "open"
    UNFINISHED = "unfinished"


# Words a caller goes on after: fillers and connectives. Even after a whole answer ("对，然后")
# they mean more is coming.
_GOING_ON = re.compile(
    r"(?:那个|这个|就是|就是说|然后|还有|而且|并且|但是|可是|不过|因为|所以|如果|要是|或者|"
    r"还是说|比如说?|包括|以及|我是说|嗯|呃|额)$"
)
# Words no sentence ends with: prepositions and verbs still waiting for their object, the
# attributive 的 (not in set phrases such as 是的, 好的).
_AWAITING = re.compile(
    r"(?:和|跟|与|及|在|从|到|往|向|给|把|被|对于|关于|让|叫|姓|住在|位于|说是|那|就|又|也|都|"
    r"还|的话|是在|是|有|(?<![是好对行有真挺蛮])的)$"
)
# A question is a whole turn: the caller stops to hear the answer. Its last clause ends on a
# question particle or holds a question word, or the recogniser wrote a question mark.
_QUESTION_END = re.compile(r"(?:吗|呢|吧|么|嘛|没有)[啊呀呐哈]?$")
_QUESTION_WORD = re.compile(
    r"什么|啥|多少|哪|几[次个天号点年月]|怎么|为什么|是不是|能不能|有没有|可不可以|要不要|会不会|行不行"
)
_CLAUSES = re.compile(r"[，。！；、,.!;]")
_TRAILING = re.compile(r"[\s，。！？；、,.!?;：:…—\-]+$")


@dataclass(frozen=True)
class TurnWaits:
    """Silence, in seconds after the caller's last speech, that ends a turn of each kind."""

    complete_s: float
    open_s: float
    unfinished_s: float

    def after(self, ending: Ending) -> float:
        return {
            Ending.COMPLETE: self.complete_s,
            Ending.OPEN: self.open_s,
            Ending.UNFINISHED: self.unfinished_s,
        }[ending]


def ending(words: str, answers: bool | None) -> Ending:
    """How the caller's words so far end. `answers`: whether they hold a whole value for the
    closed answer the bot expects (True), only part of one (False), or neither (None)."""
    text = _TRAILING.sub("", words)
    if not text or answers is False or _GOING_ON.search(text):
        return Ending.UNFINISHED
    if answers:
        return Ending.COMPLETE
    if _AWAITING.search(text):
        return Ending.UNFINISHED
    return Ending.COMPLETE if _is_question(words, text) else Ending.OPEN


def _is_question(words: str, text: str) -> bool:
    last_clause = _CLAUSES.split(text)[-1]
    return (
        words.rstrip().endswith(("？", "?"))
        or bool(_QUESTION_END.search(text))
        or bool(_QUESTION_WORD.search(last_clause))
    )
