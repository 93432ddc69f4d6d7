"""Street addresses: a heuristic reading, so not certain enough to skip the LLM."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import cn2an

from bot.dialogue import extractors
from bot.dialogue.slot_types.base import SELF_CORRECTION, SlotType, final_words
from bot.flows.model import Slot

# The parts of an address a caller corrects on their own ("门牌是12号", "是康宁路"), by kind:
# a part is replaced by a corrected part of the same kind.
_PART_KINDS = {
    "district": r"(?<!小)区|县",
    "road": r"大道|大街|路|街|巷|弄",
    "estate": r"小区|家园|花园|公寓|大厦|苑|庭|村",
    "building": r"号楼|栋|幢",
    "number": r"号(?!楼)",
    "unit": r"单元",
    "room": r"室",
}
# A part's name: characters that are not themselves place units.
_NAMED_PART = (
    r"[^\s\d区县路街巷弄村苑庭号楼栋幢室单元小家花公大]{1,3}[^\s\d区县路街巷弄号楼栋幢室]??"
)
_NUMBERED_PART = r"\d+"
_FILLER = re.compile(r"不对|是|就是|应该|我说错了|说错了|错了|没错|那个|的|在")


def _parts(text: str) -> dict[str, re.Match[str]]:
    """The last part of each kind in the text."""
    found: dict[str, re.Match[str]] = {}
    for kind, units in _PART_KINDS.items():
        name = _NUMBERED_PART if kind in ("building", "number", "unit", "room") else _NAMED_PART
        for match in re.finditer(rf"({name})({units})", text):
            found[kind] = match
    return found


def corrected_address(old: str, correction: str) -> str | None:
    """The old address with the parts the correction names replaced, or None when the
    correction names no part that the old address has."""
    said = _FILLER.sub(" ", _arabic_numbers(final_words(correction)))
    said = re.sub(r"\s+", " ", said)
    new, replaced = old, False
    for kind, match in _parts(said).items():
        part = _parts(new).get(kind)
        if part is not None and part[0] != match[0].strip():
            new = f"{new[: part.start()]}{match[0].strip()}{new[part.end() :]}"
            replaced = True
    return new if replaced else None


_CLAUSES = re.compile(r"[，。！？；、,.!?;：:]+")
MAX_SAID_ADDRESS = 40
_TRAILING_POINTER = re.compile(r"(?:那个|那块|那儿|那里|这儿|这里|那边|这边|的)+$")
_LEAD_IN = re.compile(
    r"^(?:啊|呃|嗯|哦|那个|地址啊?|在|是|就在|我是|我住在?|我家在?|住在|地址是|地点是|位置是|大概在|"
    r"应该是)+"
)
# A place has a name: two or more characters before a place unit ("科技园路", "湖滨站").
_NAMED_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2,}(?:区|县|镇|乡|街道|大道|路|街|巷|弄|村|小区|花园|公寓|大厦|家园|苑|庭|城|"
    r"湾|广场|社区|市场|商场|公园|医院|学校|中学|小学|站|中心|大楼|桥)"
)
# Words that never sit inside an address: what callers say around one ("爬不动楼").
_NOT_IN_ADDRESS = re.compile(
    r"[不没很太往冒就都也还又要着过吗呢吧啊哗撒拉]|走路|每天|天天|名字|公交|那个|这个|俺们|我们|"
    r"整栋|半条|晚上|早上|白天|夜里|半夜|满地|车(?![站场库道])|那条|这条|单位门口|"
    r"一条|时候|对面的|旁边的|个月|几天|多年|年前|天前|哪|嗯|来着|记不"
)


_CN_NUMBERED = re.compile(r"[零〇一二两三四五六七八九十百]+(?=号|栋|幢|单元|楼|室|层|弄|巷)")


def _arabic_numbers(text: str) -> str:
    """House numbers in Arabic digits ("一百零八号" → "108号")."""

    def arabic(match: re.Match[str]) -> str:
        try:
            return str(cn2an.cn2an(match[0], "smart"))
        except ValueError:
            return match[0]

    return _CN_NUMBERED.sub(arabic, extractors.normalize_digits(text))


# A place that ends on a street, a house number or an estate is whole as far as it goes.
_ENDS_A_STREET = re.compile(r"(?:大道|大街|路|街|巷|弄|号|栋|幢|村|小区|花园|苑)$")


def plausible_address(text: str) -> bool:
    return bool(_NAMED_PLACE.search(text)) and not _NOT_IN_ADDRESS.search(text)


def find_address(text: str) -> str | None:
    """The first stretch of the caller's words that reads like a real address."""
    for clause in _CLAUSES.split(_arabic_numbers(text)):
        rest = re.sub(r"\s+", "", clause)
        while rest:
            found = extractors.extract_address(rest)
            if found is None:
                break
            if plausible_address(found):
                return _without_talk_before(_with_district_before(found, rest), clause)
            # "凤栖区樟木街双井巷就巷…": the place up to the first word no address holds
            talk = _NOT_IN_ADDRESS.search(found)
            head = found[: talk.start()] if talk is not None else ""
            if _ENDS_A_STREET.search(head) and plausible_address(head):
                return _without_talk_before(head, clause)
            end = rest.find(found)
            rest = rest[end + len(found) :] if end >= 0 else ""
    return None


def _with_district_before(found: str, said: str) -> str:
    """The district said right before the place the extractor found ("桐湾区文化宫广场…")."""
    before = said[: said.find(found)] if found in said else ""
    district = _DISTRICT_AT_END.search(before)
    return f"{district[0]}{found}" if district else found


def _without_talk_before(found: str, clause: str) -> str:
    """The address without the pieces said before the place, up to a pause: a name, a number,
    the weather ("我姓毛 电话… 东城区…", "昨晚刮大风 南湖区…", "反映个事 江北区…")."""
    joined = re.sub(r"\s+", "", clause)
    pauses = list(itertools.accumulate(len(piece) for piece in clause.split()))
    start = joined.find(found)
    end = start + len(found)
    for pause in pauses:
        if pause <= start:
            continue
        talk = joined[start:pause]
        if pause >= end or _PLACE_PIECE.search(talk) or not _TALK.search(talk):
            break
        start = pause
    return joined[start:end]


# Pieces of an answer that go on describing the place: units, landmarks, directions.
_PLACE_PIECE = re.compile(
    r"区|县|镇|乡|街|路|巷|弄|村|号|栋|幢|楼|单元|室|小区|花园|苑|庭|大厦|广场|公园|学校|医院|超市|"
    r"商场|市场|站|口|旁边|对面|门口|附近|交叉|拐角|后头|后面|后边|边上|那块|那边|里面|院|店|厂|场|"
    r"桥|门|底下|隔壁|斜对"
)
# A date's 号 is no house number ("十一月15号开始就不热").
_DATE = re.compile(r"[\d一二三四五六七八九十]+月[\d一二三四五六七八九十]+[号日]")
# Pieces that are another fact: a name, a phone number, a time.
_OTHER_FACT = re.compile(
    r"姓|叫我|我叫|电话|手机|号码|\d{5,}|点钟|几点|时候|[早晚]上|天天|每天|月份|礼拜|星期"
)
# A district, and the area in it the caller names ("盐田区沙头角这边的").
# A district at the end of what the caller was saying ("桐湾区" before the place found, "车都停在
# 望江区"): on its own, or after 在 / 是 / 到.
_DISTRICT_AT_END = re.compile(
    r"(?:(?<![\u4e00-\u9fff])|(?<=[在是到]))[\u4e00-\u9fff]{2,4}(?:区|县|市|镇)$"
)
_DISTRICT = re.compile(
    r"[\u4e00-\u9fff]{2,4}(?:区|县|市|镇)(?:[\u4e00-\u9fff]{2,3}(?=这边|那边|这块|那块))?"
    r"(?:这边|那边|这块|那块)?的?"
)
# Words said before a place that are no part of it: another fact, the story, the weather.
_TALK = re.compile(rf"{_OTHER_FACT.pattern}|{_NOT_IN_ADDRESS.pattern}|事|我|你|叫|昨|刮|风|雨|雪")
# Where the story starts inside a piece: someone or something there, or what happened
# ("村西头有人养狗", "20号那里一棵大树倒了").
_EVENT = re.compile(r"有(?:人|个|家|户|辆|条|只)|[一两几][棵辆堆根片只]|了")
# A piece that tells what happened ("顶棚叫风刮掉了一半") rather than where.
_STORY = re.compile(rf"{_NOT_IN_ADDRESS.pattern}|{_EVENT.pattern}|什么")
# The caller searching their memory ("哪条路来着"): the place said so far is what they know.
_UNSURE = re.compile(r"哪|来着|记不|忘了|什么")
# Hesitations between the pieces ("嗯", "那个", "就是").
_HESITATION = re.compile(r"^(?:嗯|啊|呃|哦|那个|就是|这个)+$")
_PIECES = re.compile(r"[\s，。,.！？!?；;]+")


def _story_after(piece: str, found: str | None) -> int | None:
    """Where the story starts in the piece after the address found in it, if it does."""
    if not found or not piece.startswith(found):
        return None
    story = _STORY.search(piece, len(found))
    return story.start() if story else None


def _described_place(text: str) -> str | None:
    """The caller's words for the place: the piece holding the address (or a district) from
    there on, and the pieces after it until one is another fact or part of the story."""
    pieces = [p for p in _PIECES.split(_arabic_numbers(text)) if p]
    for index, piece in enumerate(pieces):
        found = find_address(piece)
        # A piece that ends with the district ("车都停在望江区"): the place starts there.
        said = _LEAD_IN.sub("", piece)
        district = _DISTRICT.fullmatch(said) or _DISTRICT_AT_END.search(said)
        if found is None and district is None:
            continue
        if found and found in piece:
            first = piece[piece.find(found) :]
        else:
            first = district[0] if district else said
        story = _story_after(first, found)
        if story is not None:  # "20号那里一棵大树倒了": the place, then what happened there
            head = first[len(found or "") : story]
            first = (found or "") + (head if _PLACE_PIECE.search(head) else "")
        kept = [_TRAILING_POINTER.sub("", first)]
        for following in pieces[index + 1 if story is None else len(pieces) :]:
            if _HESITATION.match(following):
                continue
            event = _EVENT.search(following)
            if event is not None:  # "村西头有人养了一百多条狗": the place, then the story
                head = following[: event.start()]
                if _PLACE_PIECE.search(head):
                    kept.append(_TRAILING_POINTER.sub("", head))
                break
            if (
                _OTHER_FACT.search(following)
                or _UNSURE.search(following)
                or (_STORY.search(following) and not _PLACE_PIECE.search(_DATE.sub("", following)))
            ):
                break
            kept.append(_TRAILING_POINTER.sub("", following))
        place = "".join(kept)
        if find_address(place) is None and not plausible_address(place):
            return None
        return place if len(place) <= MAX_SAID_ADDRESS else found
    return None


def _without_taken_back(text: str) -> str:
    """ "在望江区青苇路 哦不对 是青苇东路 金桥家园南门": a part the caller takes back in the same
    breath is dropped where the words after the correction name a part of its kind; the rest of
    the place, before and after, stays."""
    pieces = SELF_CORRECTION.split(text, maxsplit=1)
    if len(pieces) < 2:
        return text
    before, after = _arabic_numbers(pieces[0]), _LEAD_IN.sub("", pieces[1].strip())
    named_again = _parts(_arabic_numbers(after))
    if not named_again:
        return text
    for kind in named_again:
        part = _parts(before).get(kind)
        if part is not None:
            before = f"{before[: part.start()]} {before[part.end() :]}"
    return f"{before} {after}"


class AddressType(SlotType):
    name = "address"
    volunteered = True
    checked_when_unsure = True

    def extract(self, text: str, slot: Slot, today: dt.date) -> Any:
        return self._place_answer(text)

    def _place_answer(self, text: str) -> str | None:
        """The described place where it holds the first street address, else that address."""
        text = _without_taken_back(text)
        described, found = _described_place(text), find_address(text)
        if described is None or (found is not None and found not in described):
            return found
        return described

    def answer_value(self, text: str, slot: Slot, today: dt.date) -> Any:
        """An answer to the address question itself: the caller's words for the place, from
        its first named part through the landmarks that follow ("北湖区 湖东路 中石化加油站
        旁边"), even where the heuristic finds no street address; never the name or number
        said after it."""
        if find_address(text) is not None:
            return self._place_answer(text)
        said = _LEAD_IN.sub("", re.sub(r"[\s，。,.]+", "", _arabic_numbers(text)))
        said = _TRAILING_POINTER.sub("", said)
        # Asked for the place, the caller's words for it stand, if they name one and nothing
        # else ("从火车站东广场上的车 到南湖区 体育中心").
        if _NAMED_PLACE.search(said) and len(said) <= MAX_SAID_ADDRESS:
            if not _OTHER_FACT.search(said):
                return said
        return _described_place(text)

    def validate(self, value: str, slot: Slot, utterance: str, today: dt.date) -> Any:
        """The LLM's address must be the caller's words (numbers normalised), not a
        paraphrase, and must name a place."""
        said = re.sub(r"[\s，。,.]+", "", _arabic_numbers(utterance))
        value = re.sub(r"[\s，。,.]+", "", _arabic_numbers(value))
        if value == self.answer_value(utterance, slot, today):
            return value  # the rules' own reading of a direct answer
        if not (find_address(value) or plausible_address(value)):
            return None
        return value if value in said else None
