"""Slot extractors: deterministic, LLM-free understanding of one caller utterance.

The input is a Whisper transcript in simplified Chinese, where numbers come out as Arabic
digits, spoken digits ("幺三八") or Chinese numerals ("三十五"), often with stray spaces and
punctuation. Every extractor returns None rather than guess when nothing trustworthy is found,
so the dialogue can ask again instead of acting on a wrong value.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal

import cn2an

Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]

# Nothing more to ask: the end of the call after a task ("没别的了", "好的 知道了 谢谢").
NOTHING_MORE = re.compile(
    r"没(?:有)?(?:别的|其他|其它|啥|什么)(?:事|事情|问题|要问的)?(?:了|啦)?|没事(?:了|啦)|没有了|没了|"
    r"就这些|就这样|不用了"
)

_SPOKEN_DIGITS = {
    "〇": "0",
    "零": "0",
    "洞": "0",
    "幺": "1",
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_DIGIT_CLASS = "0-9" + "".join(_SPOKEN_DIGITS)
_DIGIT_RUN = re.compile(rf"[{_DIGIT_CLASS}](?:[\s\-－–—，,]*[{_DIGIT_CLASS}])*")
_SEPARATORS = re.compile(r"[\s\-－–—，,]+")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_TO_ARABIC = str.maketrans(_SPOKEN_DIGITS)
# Shorter runs are words, not digit strings: "两三天" (two or three days), "一一" ...
_MIN_SPOKEN_RUN = 3
# Only runs this long are phone/ID numbers whose spoken grouping may be dropped; shorter
# separated runs stay apart ("3-5天" is a range, not 35).
_MIN_JOINED_RUN = 7

# Chinese numerals as cn2an reads them.
_CN_NUMERAL = "零〇一二两三四五六七八九十"


def normalize_digits(text: str) -> str:
    """Turn spoken digit strings into Arabic ones so numbers can be matched with one regex.

    "幺三八 零零一三 八零零零" → "13800138000". Runs shorter than three digits stay as they are,
    so words such as "两三天" and "一下" survive.
    """

    def convert(match: re.Match[str]) -> str:
        run = match.group()
        digits = _SEPARATORS.sub("", run)
        if len(digits) < _MIN_SPOKEN_RUN:
            return run
        if len(digits) < _MIN_JOINED_RUN:
            digits = run
        return digits.translate(_TO_ARABIC)

    return _DIGIT_RUN.sub(convert, text.translate(_FULL_WIDTH))


def _cn_number(token: str) -> int | float | None:
    """Value of Arabic or Chinese numerals ("35", "三十五", "两万五"); None if malformed."""
    if token.isdigit():
        return int(token)
    try:
        value = cn2an.cn2an(token, "smart")
    except ValueError:
        return None
    if isinstance(value, float) and value.is_integer() and "点" not in token:
        return int(value)
    return value if isinstance(value, int | float) else None


# --- phone numbers -------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<!\d)(?:\+?86)?(?P<mobile>1[3-9]\d{9})(?!\d)"
    # 010 and 02x are three-digit area codes with eight-digit numbers; others have four.
    r"|(?<!\d)[(（]?(?P<area>010|02\d|0[3-9]\d{2})[)）]?(?P<local>[2-9]\d{6,7})(?!\d)"
)


def extract_phone(text: str) -> str | None:
    """First mainland mobile ("13800138000") or landline ("010-12345678") number said.

    A landline's extension ("转8001") is not part of the returned number.
    """
    for match in _PHONE.finditer(normalize_digits(text)):
        if match["mobile"]:
            return match["mobile"]
        area, local = match["area"], match["local"]
        if len(area) == 3 and len(local) != 8:
            continue
        return f"{area}-{local}"
    return None


# --- resident ID cards ---------------------------------------------------------------------

_ID_CARD = re.compile(r"(?<!\d)(\d{17})\s*([\dX])(?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def _id_checksum_ok(number: str) -> bool:
    """GB 11643: the 18th character checks the first 17, which catches misheard digits."""
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    return _ID_CHECK_CHARS[total % 11] == number[17]


def _birth_date_ok(number: str) -> bool:
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def extract_id_card(text: str) -> str | None:
    """First 18-character resident ID number whose checksum and birth date are valid."""
    spoken = text.upper().replace("叉", "X").replace("艾克斯", "X")
    for match in _ID_CARD.finditer(normalize_digits(spoken)):
        number = match[1] + match[2]
        if _id_checksum_ok(number) and _birth_date_ok(number):
            return number
    return None


# --- dates ---------------------------------------------------------------------------------

_RELATIVE_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
    "今天": 0,
    "今日": 0,
    "今晚": 0,
    "今早": 0,
    "明天": 1,
    "明日": 1,
    "明晚": 1,
    "明早": 1,
    "后天": 2,
    "大后天": 3,
}
_WEEK_OFFSETS = {"上上": -2, "上": -1, "这": 0, "本": 0, "": 0, "下": 1, "下下": 2}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS.update({str(number): number - 1 for number in range(1, 8)})
_SATURDAY = 5

_YEAR = r"(?P<year>\d{4}|\d{2}|[〇零一二三四五六七八九]{4}|[〇零一二三四五六七八九]{2})年"
_MONTH = r"(?P<month>\d{1,2}|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?P<day>\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_DATE_PATTERNS = (
    # "2026年3月5日", "二〇二六年三月五号", "3月5号", "三月五日"
    re.compile(rf"(?<!\d)(?:{_YEAR})?{_MONTH}月{_DAY}(?:日|号)?"),
    # "2026-03-05", "2026/3/5", "2026.3.5"
    re.compile(r"(?<![\d.])(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?![\d.])"),
    # "3.5", "3/5": month and day
    re.compile(r"(?<![\d./])(?P<month>\d{1,2})[./](?P<day>\d{1,2})(?![\d./])"),
    # "5号", "二十五号" (this month), but not an address's "人民路5号" or "3号楼"
    re.compile(
        r"(?<![月路街巷弄道村里楼栋幢\d" + _CN_NUMERAL + r"])"
        rf"(?:{_DAY}号|(?P<arabic_day>\d{{1,2}})日(?!内))"
        r"(?![楼院门线房室栋幢床窗机车令码])"
    ),
)
_RELATIVE_DAY = re.compile(
    r"大前天|大后天|(?<![之以])前天|(?<![之以然最])后天|昨天|昨日|昨晚|今天|今日|今晚|今早|"
    r"明天|明日|明晚|明早"
)
_WEEK_DAY = re.compile(
    r"(?P<offset>上上|下下|上|这|本|下)?个?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天1-7]|末)"
)


def _year(token: str) -> int:
    """Year from "2026", "二〇二六" or a two-digit "26" (taken as 2026)."""
    year = int(token.translate(_TO_ARABIC))
    return year + 2000 if year < 100 else year


def _absolute_date(match: re.Match[str], today: datetime.date) -> datetime.date | None:
    groups = match.groupdict()
    year = _year(groups["year"]) if groups.get("year") else today.year
    month = _cn_number(groups["month"]) if groups.get("month") else today.month
    day = _cn_number(groups.get("day") or groups.get("arabic_day") or "")
    if not isinstance(month, int) or not isinstance(day, int):
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _week_date(match: re.Match[str], today: datetime.date) -> datetime.date:
    offset = _WEEK_OFFSETS[match["offset"] or ""]
    weekday = match["weekday"]
    if weekday == "末" and offset == 0:  # "周末": the coming Saturday
        return today + datetime.timedelta(days=(_SATURDAY - today.weekday()) % 7)
    monday = today - datetime.timedelta(days=today.weekday())
    day = _SATURDAY if weekday == "末" else _WEEKDAYS[weekday]
    return monday + datetime.timedelta(weeks=offset, days=day)


def extract_date(text: str, today: datetime.date) -> datetime.date | None:
    """The date the caller mentions first, absolute ("3月5号") or relative ("下周一").

    A date without a year is taken in today's year and "5号" in today's month; "周三" without
    上/下 is this week's Wednesday, past or not.
    """
    found: list[tuple[int, datetime.date]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            date = _absolute_date(match, today)
            if date is not None:
                found.append((match.start(), date))
    for match in _RELATIVE_DAY.finditer(text):
        found.append((match.start(), today + datetime.timedelta(days=_RELATIVE_DAYS[match[0]])))
    for match in _WEEK_DAY.finditer(text):
        found.append((match.start(), _week_date(match, today)))
    return min(found, key=lambda item: item[0])[1] if found else None


# --- clock times ---------------------------------------------------------------------------

_AFTERNOON = {"下午", "傍晚"}
_EVENING = {"晚上", "夜里", "夜间", "今晚", "明晚", "昨晚"}
_NOON = {"中午"}
_SMALL_HOURS = {"凌晨", "半夜"}
_PERIOD = (
    r"(?:(?P<period>凌晨|半夜|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|今晚|明晚|昨晚)"
    r"\s*)?"
)
_CN_HOUR = r"\d{1,2}|二十[一二三四]?|十[一二三四五六七八九]?|[零一二两三四五六七八九]"
_CN_MINUTE = r"\d{1,2}|[一二三四五]?十[一二三四五六七八九]?|零?[一二三四五六七八九]"
_CLOCK_TIME = re.compile(rf"{_PERIOD}(?<!\d)(?P<hour>\d{{1,2}})[:：](?P<minute>\d{{2}})(?!\d)")
_SPOKEN_TIME = re.compile(
    rf"{_PERIOD}(?<![\d{_CN_NUMERAL}])(?P<hour>{_CN_HOUR})\s*(?:点钟?|时)"
    rf"(?:\s*(?P<fraction>半|一刻|三刻|(?P<minute>{_CN_MINUTE})\s*分?))?"
)
_FRACTIONS = {"半": 30, "一刻": 15, "三刻": 45}


def _on_24_hour_clock(hour: int, period: str | None) -> int:
    """Hour of day for a spoken hour: "下午三点" 15, "晚上十二点" 0, "晚上一点" still 1."""
    if period in _AFTERNOON and hour < 12:
        return hour + 12
    if period in _EVENING:
        if hour == 12:
            return 0
        return hour + 12 if 5 <= hour < 12 else hour
    if period in _NOON and 1 <= hour <= 4:
        return hour + 12
    if period in _SMALL_HOURS and hour == 12:
        return 0
    return 0 if hour == 24 else hour


def extract_time(text: str) -> datetime.time | None:
    """First clock time said ("下午三点", "晚上八点半", "15:30", "三点一刻")."""
    found: list[tuple[int, datetime.time]] = []
    for pattern in (_CLOCK_TIME, _SPOKEN_TIME):
        for match in pattern.finditer(text):
            fraction = match.groupdict().get("fraction")
            # A bare "一点" is usually "a little" ("快一点"), not one o'clock.
            if match["hour"] == "一" and not (match["period"] or fraction or "钟" in match[0]):
                continue
            hour = _cn_number(match["hour"])
            minute = _FRACTIONS.get(fraction or "") or _cn_number(match["minute"] or "0")
            if not isinstance(hour, int) or not isinstance(minute, int):
                continue
            hour = _on_24_hour_clock(hour, match["period"])
            if 0 <= hour < 24 and 0 <= minute < 60:
                found.append((match.start(), datetime.time(hour, minute)))
    return min(found, key=lambda item: item[0])[1] if found else None


# --- plain numbers -------------------------------------------------------------------------

_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_NUMBER = re.compile(
    r"(?P<arabic>\d+(?:\.\d+)?)(?P<multiplier>[十百千万亿]*)"
    r"|(?P<chinese>[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?)"
)
# Not numbers: "一" in 一下, 一些, 一点儿, 一直, 一般 ...; "十分" (very); "两三" (two or three).
_NOT_A_NUMBER = re.compile(
    r"一(?=[下些直起定般样切边旁共致同旦会]|点(?![\d零〇一二三四五六七八九]))|十分(?!钟)"
    r"|[一二两三四五六七八九]{2}(?![零〇一二两三四五六七八九十百千万亿点])"
)


def extract_number(text: str) -> int | float | None:
    """First number said, in Arabic or Chinese numerals ("三十五" → 35, "1.5万" → 15000)."""
    text = normalize_digits(text)
    for match in _NUMBER.finditer(text):
        if _NOT_A_NUMBER.match(text, match.start()):
            continue
        if match["arabic"]:
            value: int | float = (
                float(match["arabic"]) if "." in match["arabic"] else int(match["arabic"])
            )
            for char in match["multiplier"]:
                value *= _MULTIPLIERS[char]
            return int(value) if isinstance(value, float) and value.is_integer() else value
        number = _cn_number(match["chinese"])
        if number is not None:
            return number
    return None


# --- yes / no ------------------------------------------------------------------------------

# Phrases that contain 不/没/否 without being an answer: questions back ("是不是", "有没有"),
# uncertainty and politeness.
_YES_NO_NEUTRAL = re.compile(
    r"([^不没])[不没]\1|不知道|不清楚|不确定|说不好|不一定|不好意思|不客气|没关系|不过|是否|"
    # "nothing else": not an answer to a yes/no question
    r"没(?:有)?(?:别的|其他|其它)(?:事|的|问题)?了?|没啥了|没什么了|没了"
)
# Affirmations spelt with a negation character.
_YES_IDIOMS = re.compile(r"没错|没问题|不错|不要紧")
_NO = re.compile(
    r"不是|不对|不用|不行|不可以|不能|不要|不需要|不太|不好|不够|不满意|不同意|不想|不会|不必|不方便|"
    r"没|未解决|未处理|否|^不(?=$|[不了啊呀吧])"
)
_YES_ANYWHERE = re.compile(
    r"是的|对的|好的|解决了|当然|同意|方便|是我|我是|有空|有时间|ok|okay|yes|"
    # consent in everyday words: "你说吧", "你问吧", "请讲" (not 请问, which opens a question)
    r"(?:你|您)?(?:说|问|讲)吧|请(?:讲|说)|(?:你|您)(?:说|问|讲)(?=$|[吧啊呗嘛])"
)
_YES_CLAUSE = re.compile(r"(?:是|对|好|行|嗯|可以|有|要|确认|ok|okay|yes)+")
_YES_CLAUSE_START = re.compile(r"^(?:嗯|对(?![于面方象比话待接手应])|可以)")
_PARTICLES = re.compile(r"[啊呀吧了哦噢喔啦嘛哈的呢诶欸哎么\s]")
_CLAUSES = re.compile(r"[，。！？；、,.!?;\s]+")


def extract_yes_no(text: str) -> bool | None:
    """The caller's answer to a yes/no question; any negation beats an affirmation."""
    text = _YES_IDIOMS.sub("，对，", _YES_NO_NEUTRAL.sub("，", text.lower()))
    clauses = [clause for clause in _CLAUSES.split(text) if clause]
    # A 嗯 after the first clause is a hesitation ("在葵涌 嗯 哪条路来着"), not a yes.
    clauses = clauses[:1] + [c for c in clauses[1:] if _PARTICLES.sub("", c) != "嗯"]
    if any(_NO.search(clause) for clause in clauses):
        return False
    for clause in clauses:
        if (
            _YES_ANYWHERE.search(clause)
            or _YES_CLAUSE.fullmatch(_PARTICLES.sub("", clause))
            or _YES_CLAUSE_START.match(clause)
        ):
            return True
    return None


# --- satisfaction survey -------------------------------------------------------------------

# Checked in order: "不太满意" and "基本满意" both contain "满意".
_SATISFACTION: tuple[tuple[re.Pattern[str], Satisfaction], ...] = (
    (re.compile(r"不.{0,3}满意|太差|很差|非常差|差劲|糟糕|不好|不行"), "dissatisfied"),
    (
        re.compile(r"基本满意|比较满意|还算满意|还行|一般|还可以|凑合|马马虎虎|过得去|还好"),
        "basically_satisfied",
    ),
    (re.compile(r"满意|很好|非常好|挺好|不错"), "satisfied"),
)
# Politeness and hedging that would otherwise read as "不好".
_SATISFACTION_NEUTRAL = re.compile(r"不好意思|不好说")


def extract_satisfaction(text: str) -> Satisfaction | None:
    """The caller's rating in the closing satisfaction survey."""
    text = _SATISFACTION_NEUTRAL.sub("，", text)
    for pattern, rating in _SATISFACTION:
        if pattern.search(text):
            return rating
    return None


# --- addresses -----------------------------------------------------------------------------

# Place units; the look-aheads skip ordinary words that start with one ("楼下", "路灯", "省钱").
_ADDRESS_UNIT = re.compile(
    r"街道|大道|小区|花园|单元|大厦|公寓|"
    r"省(?![钱事心力得份])|市(?![民场政长委])|区(?![别域分])|县(?![委长])|镇(?![长定静])|"
    r"乡(?![下亲长])|路(?![灯面上边过况线费子程])|街(?![坊头上])|巷|弄(?![清好坏丢])|"
    r"村(?![民委干])|号(?![码称召])|栋|幢|室(?![内外友])|楼(?![下上道梯顶房盘])"
)
# Words that end the lead-in before an address: "我住在", "地址是", "投诉" ...
_ADDRESS_LEAD_IN = re.compile(
    r"住在|住址是|住址在|地址是|地址在|住址|地址|位置在|位置是|位于|就在|是在|来自|投诉|反映|"
    r"举报|我们家|我家|咱家|我们|咱们|喂|你好|您好|在|是|到|去|住|的|有|了|把|被|给|很|说"
)
# Two units more than this far apart, or apart by a lead-in word, are separate places.
_MAX_ADDRESS_GAP = 8
_MIN_ADDRESS_LENGTH = 4
_NOT_ADDRESS = re.compile(
    rf"[\d{_CN_NUMERAL}]{{1,3}}月[\d{_CN_NUMERAL}]{{1,3}}[号日]?|{_RELATIVE_DAY.pattern}"
)
_ADDRESS_CLAUSES = re.compile(r"[，。！？；、,.!?;：:]+")
_TRAILING_NUMBER = re.compile(r"[0-9A-Za-z\-]+")


def _address_chains(clause: str) -> list[tuple[int, int]]:
    """(first unit start, last unit end) of each run of closely following place units."""
    chains: list[tuple[int, int]] = []
    for unit in _ADDRESS_UNIT.finditer(clause):
        if chains:
            gap = clause[chains[-1][1] : unit.start()]
            if len(gap) <= _MAX_ADDRESS_GAP and not _ADDRESS_LEAD_IN.search(gap):
                chains[-1] = (chains[-1][0], unit.end())
                continue
        chains.append((unit.start(), unit.end()))
    return chains


def extract_address(text: str) -> str | None:
    """The first stretch of the utterance that reads like a street address.

    A heuristic, not a gazetteer: it runs from after the lead-in ("我住在", "地址是") to the
    last place unit (区, 路, 号, 单元 ...) of a close run of them, plus a trailing room number.
    """
    text = _NOT_ADDRESS.sub("，", re.sub(r"\s+", "", normalize_digits(text)))
    for clause in _ADDRESS_CLAUSES.split(text):
        previous_end = 0
        for first_unit, last_unit in _address_chains(clause):
            start = previous_end
            for lead_in in _ADDRESS_LEAD_IN.finditer(clause, previous_end, first_unit):
                start = lead_in.end()
            room = _TRAILING_NUMBER.match(clause, last_unit)
            address = clause[start : room.end() if room else last_unit]
            if len(address) >= _MIN_ADDRESS_LENGTH:
                return address
            previous_end = last_unit
    return None
