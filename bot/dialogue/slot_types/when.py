"""When a problem happens, as the caller says it ("每天晚上十一点以后", "最近一周").

Only the clauses that speak of time are kept, so a phone number or a yes given in answer to
"什么时间" is never stored as the time.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType, plain
from bot.flows.model import Slot

# How long it has gone on ("半个多月了", "好几天了"): an answer to "since when".
_DURATION = re.compile(r"[\d一二两三四五六七八九十半几好多]+个?多?(?:天|周|星期|礼拜|月|年)了")
_TIME_WORDS = re.compile(
    r"早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜|凌晨|深夜|白天|黑夜|晚|点|钟|"
    r"每天|天天|每晚|每周|周末|礼拜|星期|工作日|节假日|假期|"
    r"最近|近来|这几天|这段时间|前几天|好几天|好久|几天|几个月|一个月|一周|一星期|半个月|半年|一年|"
    r"经常|一直|总是|老是|有时|时不时|偶尔|整天|全天|天亮|天黑|"
    r"昨天|今天|前天|上周|上个月|去年|今年|刚才|刚刚|现在|以后|之后|以前|之前|开始|到现在|"
    rf"\d+[月日]|[一二三四五六七八九十两]+[月天周年]|{_DURATION.pattern}"
)
_PERIODS = re.compile(
    r"早上|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨|深夜|白天|每天|天天|周末|一直|总是|老是"
)
_LEAD = re.compile(r"^(?:哦|嗯|是|就是|那个|应该是|\s)+")
_CLAUSES = re.compile(r"[，。！？；、,.!?;]+")
# Clauses and the pauses a recogniser writes as spaces.
_PHRASES = re.compile(r"[，。！？；、,.!?;\s]+")
_HABITUAL = re.compile(
    r"每天|天天|每晚|每到|一到|经常|总是|老是|一直|成天|整天|每个?(?:周|礼拜|星期)"
)
# A part of the day or week that, followed by a clock, says when ("晚上十点以后").
_DAY_PART = re.compile(
    r"早上|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨|深夜|周末|(?:礼拜|星期)[一二三四五六天日]"
)
_CLOCK = re.compile(r"[\d一二两三四五六七八九十]+点(?:半|多|钟|左右|以后|之后|开始|不到)?")


# Talk about what was said ("刚才名字没说全"): its time words tell nothing of the problem.
_ABOUT_THE_RECORD = re.compile(r"说|名字|我姓|我叫|叫我|电话|号码|地址|门牌")
# Since when, told in passing ("从十一月十五号开始", "从上个月起").
_SINCE = re.compile(r"从[^\s，。,从]{1,10}?(?:开始|起|以来)")
# A day that makes the time a one-off moment, not when the problem happens.
_ONE_DAY = re.compile(r"昨天|今天|前天|刚才|上周|上个?(?:礼拜|星期)")
# Said unasked, a short clause about time is the answer ("天天晚上 七点到九点半"); a long
# one is the story, which stays in the account.
MAX_VOLUNTEERED_CHARS = 14


class WhenType(SlotType):
    name = "when"
    volunteered = True

    def volunteered_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        if len(plain(text)) > MAX_VOLUNTEERED_CHARS:
            return told_in_passing(text)
        if not (extractors.extract_time(text) or _PERIODS.search(text) or _DURATION.search(text)):
            return None
        return self.extract(text, slot, today)

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        clauses = [
            _LEAD.sub("", clause.strip())
            for clause in _CLAUSES.split(text)
            if _TIME_WORDS.search(clause)
            and not extractors.extract_phone(clause)
            and not _ABOUT_THE_RECORD.search(clause)
        ]
        value = "，".join(clause for clause in clauses if plain(clause))
        return value or None


def told_in_passing(account: str) -> str | None:
    """In a long account, the short phrase that says when the problem happens, from its
    first time word to its last clock time: a habit or a part of the day, and a clock
    ("楼下KTV每天闹到凌晨两三点 …" → 每天闹到凌晨两三点, "工地晚上十点以后还在打桩" → 晚上十点以后).
    A moment with a day ("昨天下午三点我看到…") or anything vaguer stays in the account, and
    the time question is asked."""
    for phrase in _PHRASES.split(account):
        since = _SINCE.search(phrase)
        if since is not None:  # "从十一月十五号开始供暖就不热": since when
            return since[0]
        period = _HABITUAL.search(phrase) or _DAY_PART.search(phrase)
        if period is not None and _ONE_DAY.search(phrase, 0, period.start() + 1):
            continue
        clocks = list(_CLOCK.finditer(phrase, period.start())) if period else []
        if period is None or not clocks:
            continue
        said = phrase[period.start() : clocks[-1].end()]
        if len(plain(said)) <= MAX_VOLUNTEERED_CHARS:
            return said
    return None
