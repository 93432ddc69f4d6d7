"""The caller's own account of the problem (what, where, since when, who is affected).

A work order's description is built from every utterance that describes the problem, in the
caller's words: openers ("我想反映个事"), bare answers and contact details are left out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SlotType, plain
from bot.dialogue.slot_types.text import NOT_CONTENT
from bot.flows.model import Slot

_OPENERS = re.compile(
    r"喂+|你好|您好|请问|麻烦|那个|这个|就是说|就是|是这样的?|嗯+|啊+|呃+|哎+|"
    r"我(?:想|要|来|是来)?(?:跟你们)?(?:反映|投诉|举报|反应|说|咨询|问)(?:一下|一个|个)?"
    r"(?:事儿?|事情|问题|情况)?|有个(?:事儿?|问题|情况)|(?:我)?有(?:件|个)事"
)
_CONTACT = re.compile(
    r"(?:我|本人)?(?:的)?(?:电话|手机|号码|联系方式|手机号)(?:号码)?(?:是|就是)?|"
    r"(?:免贵)?姓.{1,2}|我叫.{1,3}|叫我.{1,3}|[^\s，]{1,2}(?:先生|女士|小姐)|你们?可以打|打这个"
)
_DIGITS = re.compile(r"[\d-]{7,}")
_CLAUSES = re.compile(r"[，。！？；,.!?;]+")
_MIN_CONTENT = 3


def account_clauses(text: str) -> list[str]:
    """The clauses of an utterance that tell the problem."""
    kept = []
    for clause in _CLAUSES.split(text.strip()):
        content = plain(clause)
        if extractors.extract_phone(content):
            content = _DIGITS.sub("", extractors.normalize_digits(content))
        content = _OPENERS.sub("", _CONTACT.sub("", content))
        if len(content) >= _MIN_CONTENT and not NOT_CONTENT.match(content) and not (
            _CONTACT.fullmatch(plain(clause))
        ):
            kept.append(clause.strip())
    return kept


class AccountType(SlotType):
    name = "account"

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        clauses = account_clauses(text)
        return "，".join(clauses) if clauses else None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """Never a paraphrase: the account is the caller's words."""
        return self.extract(utterance, slot, today)
