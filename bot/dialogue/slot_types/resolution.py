"""Whether the caller's problem was resolved (survey), stored as a boolean.

Asked directly, a plain yes/no answers it; said unasked ("早就修好了" while the bot asks for
consent), only words about the problem itself count.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.yes_no import YesNoType
from bot.flows.model import Slot

_UNRESOLVED = re.compile(
    r"没解决|没有解决|未解决|还没(?:有)?(?:解决|修|处理|弄|管|人)|没(?:有)?人(?:管|来|修|处理)|"
    r"没(?:有)?(?:修|处理|弄好|修好|管)|还是老样子|还那样|老样子|照旧|依旧|没变化|没动静(?!了)|"
    r"不了了之|又坏了|又开始|还在(?:吵|响|漏|堆|臭)|到现在还|还是不|还不|还没好|还坏着|还那么|"
    r"一点用(?:都)?没有|没用"
)
_RESOLVED = re.compile(
    r"解决了|已解决|修好了|处理好了|弄好了|搞定了|已经好了|早好了|都好了|处理了|修了|清理了|清走了|"
    r"拆了|不吵了|不响了|不漏了|恢复了|已经解决|给解决|帮我解决|处理得|解决得|整好|好使了|"
    r"能用了|亮了|通了|不堵了|不臭了|干净了|修上了|补上了|换好了|清走|搬走了|热乎了|暖和了|热起来了|"
    r"不冷了|早就(?:好|热|修|通|亮|弄|清|不)|没动静了|没声了"
)
# "解决是解决了" (resolved, with a complaint to follow): the concession decides.
_CONCEDED = re.compile(r"(解决|修|好|处理|弄)是\1(?:好)?了")


class ResolutionType(YesNoType):
    name = "resolution"
    volunteered = True

    def volunteered_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        if _CONCEDED.search(text):
            return True
        if _UNRESOLVED.search(text):
            return False
        return True if _RESOLVED.search(text) else None

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        said = self.volunteered_value(text, slot, today)
        if said is not None:
            return said
        if extractors.NOTHING_MORE.search(text):
            return None  # "没有了": nothing more to say (the next question), not "not resolved"
        return extractors.extract_yes_no(text)

    def spoken(self, value: Any, slot: Slot) -> str:
        return "" if value is None else ("已解决" if value else "未解决")
