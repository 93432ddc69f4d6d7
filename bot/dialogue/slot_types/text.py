"""Free text (a comment, a remark): anything said, except a bare yes/no or a refusal."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue.slot_types.base import SlotType, plain
from bot.flows.model import Slot

# Answers that say nothing by themselves: they are never stored as text.
NOT_CONTENT = re.compile(
    r"^(?:是|是的|对|对的|嗯|好|好的|行|可以|没有|没|不是|不对|不用|没了|没有了|没啥|没什么|无|"
    r"没有意见|没意见|没别的|没别的了|不知道|不清楚|记不清了?|忘了|喂|你好|啊|哦)[啊呀吧了哦的呢]*$"
)


class TextType(SlotType):
    name = "text"

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        value = text.strip().rstrip("。.!！")
        if not plain(value) or NOT_CONTENT.match(plain(value)):
            return None
        return value
