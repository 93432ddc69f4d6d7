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
from bot.dialogue.slot_types.person_name import NAME_WITHHELD, SPELT_SURNAME
from bot.dialogue.slot_types.text import NOT_CONTENT
from bot.flows.model import Slot

_OPENERS = re.compile(
    r"^(?:\s*(?:喂+|你好|您好|请问|麻烦(?:你|您)?|那个|这个|就是说?|是这样的?|嗯+|啊+|呃+|哎+|"
    r"我(?:想|要|来|是来)?(?:跟你们)?(?:反映|投诉|举报|反应|说|咨询|问)(?:一下|一个|个)?"
    r"(?:事儿?|事情|问题|情况)?|有个(?:事儿?|问题|情况)|(?:我)?有(?:件|个)事)[\s，。,.!！]*)+"
)
# Contact details said in the same breath: kept in their own fields, not in the account.
_CONTACT = re.compile(
    r"(?:我的?|本人的?)?(?:联系)?(?:电话|手机|号码|联系方式|手机号)(?:号码)?(?:是|就是|打)?\s*"
    r"[\d幺一二三四五六七八九零〇两\s-]{7,}|"
    r"[\d幺一二三四五六七八九零〇两-]{7,}|"
    r"(?:我|本人)?(?:免贵)?姓[\u4e00-\u9fff]{1,2}(?=$|[\s，。,.]|电话|手机)|"
    r"(?:我叫|叫我)[\u4e00-\u9fff]{1,3}(?=$|[\s，。,.]|电话|手机|就行)|"
    r"[\u4e00-\u9fff]{1,2}(?:先生|女士|小姐)(?=$|[\s，。,.])|"
    rf"(?:{NAME_WITHHELD.pattern})了?|(?:电话|号码)你记(?:一下)?|{SPELT_SURNAME.pattern}"
)
_CLAUSES = re.compile(r"[，。！？；,.!?;]+")
_MIN_CONTENT = 3
_MAX_ANSWER = 5


def account_clauses(text: str) -> list[str]:
    """The clauses of an utterance that tell the problem, without openers or contact details."""
    kept = []
    for clause in _CLAUSES.split(text.strip()):
        told = _OPENERS.sub("", _CONTACT.sub(" ", extractors.normalize_digits(clause)))
        told = re.sub(r"\s+", " ", told).strip(" ，,")
        content = plain(told)
        if len(content) < _MIN_CONTENT or NOT_CONTENT.match(content):
            continue
        if len(content) <= _MAX_ANSWER and extractors.extract_yes_no(content) is not None:
            continue  # "是的没错": an answer, not an account
        kept.append(told)
    return kept


class AccountType(SlotType):
    name = "account"

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        clauses = account_clauses(text)
        return "，".join(clauses) if clauses else None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """Never a paraphrase: the account is the caller's words."""
        return self.extract(utterance, slot, today)
