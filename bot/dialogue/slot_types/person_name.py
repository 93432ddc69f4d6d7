"""How the caller wants to be addressed: 陈先生, 王女士, 陈 (a surname alone), or a full name.

Names are stored as a person to address, never as said ("我姓陈" → 陈), and only when a known
surname starts them: "是的" or "不知道" are never a name.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.dialogue.slot_types.base import SlotType, plain
from bot.flows.model import Slot

# The caller keeps their name back: the work order stays anonymous, and nobody asks again.
NAME_WITHHELD = re.compile(
    r"不想留名|不留名|名字(?:就)?(?:别写|不写|不用写|不说|不留|不透露|保密)|别写(?:我的?)?名字|匿名|"
    r"不用写名字"
)
DOUBLE_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "慕容",
    "令狐",
    "皇甫",
    "司徒",
    "夏侯",
    "尉迟",
)
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "萧鄢阎钮龙岳匡冀储帅聂晋习荆滑邰蔺揭原靖官戈区狄韩糜甘扈楚卢昝郁杭洪"
)
TITLES = (
    "先生",
    "女士",
    "小姐",
    "阿姨",
    "大爷",
    "大妈",
    "师傅",
    "老师",
    "大姐",
    "大哥",
    "奶奶",
    "爷爷",
)
_CJK = r"[\u4e00-\u9fff]"
_TITLE = "|".join(TITLES)
_CLAUSES = re.compile(r"[\s，。！？；、,.!?;：:]+")
_SURNAME_SAID = re.compile(r"(?:免贵)?姓(?:是)?(" + _CJK + r"{1,2})")
_TITLED = re.compile(rf"({_CJK}{{1,2}}?)({_TITLE})")
_FULL_NAME = re.compile(
    rf"(?:我叫|叫我|我是|名字是|名字叫|姓名是)(小|老)?({_CJK}{{1,3}}?)"
    r"(?=$|电话|手机|号码|联系|我|住|家|就行|吧|啊)"
)
_BARE = re.compile(rf"^({_CJK}{{1,3}})$")
_NOT_NAMES = re.compile(
    r"的|是的|不是|不知道|没有|什么|不想|不用|可以|好的|谢谢|我是|他|她|这个|那个|电话|号码|住|在"
)


def _surname_of(text: str) -> str | None:
    if text[:2] in DOUBLE_SURNAMES:
        return text[:2]
    return text[0] if text and text[0] in SURNAMES else None


# A surname spelt by its parts ("立早章", "弓长张") or by a word holding it ("文章的章").
_SPELT_BY_PARTS = {
    "弓长": "张",
    "立早": "章",
    "耳东": "陈",
    "口天": "吴",
    "木子": "李",
    "古月": "胡",
    "双木": "林",
    "言午": "许",
    "禾呈": "程",
    "草头": "黄",
}
_SPELT_IN_A_WORD = re.compile(rf"({_CJK})({_CJK})的({_CJK})(?=$|[\s，。,.])")
# The same, as the words to leave out of the caller's account of the problem.
SPELT_SURNAME = re.compile(
    rf"(?:{'|'.join(_SPELT_BY_PARTS)}){_CJK}|"
    rf"(?P<first>{_CJK})(?P<second>{_CJK})的(?:(?P=first)|(?P=second))(?=$|[\s，。,.])"
)


def _spelt(clause: str) -> str | None:
    for parts, surname in _SPELT_BY_PARTS.items():
        if f"{parts}{surname}" in clause:
            return surname
    word = _SPELT_IN_A_WORD.search(clause)
    if word and word[3] in (word[1], word[2]):
        return _surname_of(word[3])
    return None


def _name_in(clause: str) -> str | None:
    """The name in one clause: 陈先生, 我姓陈 → 陈, 我叫陈明 → 陈明, 叫我小李 → 小李,
    立早章 / 文章的章 → 章."""
    for match in _TITLED.finditer(clause):
        surname = _surname_of(match[1][-2:]) or _surname_of(match[1][-1:])
        if surname and match[1].endswith(surname):
            return f"{surname}{match[2]}"
    said = _SURNAME_SAID.search(clause)
    if said:
        return _surname_of(said[1])
    spelt = _spelt(clause)
    if spelt:
        return spelt
    full = _FULL_NAME.search(clause)
    if full and not _NOT_NAMES.search(full[2]):
        name = full[2]
        if full[1]:  # 小李, 老王: how the caller wants to be called
            return f"{full[1]}{name[0]}" if _surname_of(name) else None
        if _surname_of(name) and len(name) >= 2:
            return name
    return None


def _fullest(name: str, clauses: list[str]) -> str:
    """A surname said first, then the full name ("免贵姓白 白建华"): the full name."""
    if len(name) > 2:
        return name
    for clause in clauses:
        if 2 <= len(clause) <= 3 and clause.startswith(name) and not _NOT_NAMES.search(clause):
            return clause
    return name


class PersonNameType(SlotType):
    name = "person_name"
    volunteered = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        clauses = [clause for clause in _CLAUSES.split(text) if clause]
        for clause in clauses:
            name = _name_in(clause)
            if name:
                return _fullest(name, clauses)
        bare = _BARE.match("".join(clauses).removesuffix("吧").removesuffix("就行"))
        if bare and not _NOT_NAMES.search(bare[1]) and _surname_of(bare[1]):
            return bare[1]
        return None

    def volunteered_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        """Unasked, only an explicit form counts (我姓陈, 陈先生), never a bare word."""
        for clause in _CLAUSES.split(text):
            name = _name_in(clause) if clause else None
            if name:
                return name
        return None

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The rules' own reading of the caller's words, or a name that starts with a known
        surname the caller said."""
        heard = self.extract(utterance, slot, today)
        if heard is not None:  # the rules read a name ("我姓彭 彭湃的彭" is 彭): theirs stands
            return value if value == heard else None
        name = self.extract(value, slot, today) or (
            value if _surname_of(plain(value)) and len(plain(value)) <= 4 else None
        )
        surname = _surname_of(name) if name else None
        if name is None or surname is None or surname not in plain(utterance):
            return None
        return name
