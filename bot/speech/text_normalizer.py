"""Text as a caller should hear it: every number written out the way Chinese hotlines read it.

Runs before every voice, so an installed piper voice reads numbers the same as the default
one. Codes (service, ticket and phone numbers) are read digit by digit with 1 as 幺
(12345 → 幺二三四五); years digit by digit (2026年 → 二零二六年); times as 点/分
(15:30 → 十五点三十分); amounts, quantities, dates and percentages as quantities
(300元 → 三百元, 2个 → 两个, 3.5万元 → 三点五万元, 12% → 百分之十二); house
numbers as numbers (188号 → 一百八十八号) and room numbers digit by digit (1203室 →
幺二零三室); a few Latin acronyms become Chinese words.
"""

from __future__ import annotations

import re

DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
PLAIN = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
ACRONYMS = {
    "APP": "手机应用",
    "App": "手机应用",
    "app": "手机应用",
    "WiFi": "无线网络",
    "ID": "编号",
}
# A number followed by one of these is a quantity (两 for a lone 2: 两个, 两天).
MEASURES = (
    "元|块|角|分钟|秒|小时|天|个月|个|岁|周|次|件|份|张|户|套|间|平方米|平米|米|公里|千米|克|公斤|"
    "斤|吨|升|度|万|亿|千|百|倍|级|项|条|位|名|家|所|辆|人|年|月"
)
# A number followed by one of these names a place, a day or an hour (十八号, 二楼, 十点);
# room numbers are read digit by digit (1203室 → 幺二零三室).
ORDINALS = "号|楼|层|栋|幢|单元|路|日|点"
ROOMS = "室|房"
_YEAR = re.compile(r"(?<![\d.])(\d{4})(?=年)")
_TIME = re.compile(r"(?<![\d.])(\d{1,2})[:：](\d{2})(?![\d])")
_YUAN = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_RANGE = re.compile(rf"(\d+)\s*[-~～]\s*(?=\d+\s*(?:{MEASURES}|{ORDINALS}))")
_MEASURED = re.compile(rf"(?<![\d.])(第?)(\d+(?:\.\d+)?)(?=\s*(?:{MEASURES}))")
_ORDINAL = re.compile(rf"(?<![\d.])(\d+)(?=\s*(?:{ORDINALS}))")
_ROOM = re.compile(rf"(?<![\d.])(\d+)(?=\s*(?:{ROOMS}))")
_CODE = re.compile(r"(?<![\d.])(\d{3,})(?![\d.])")
_SMALL = re.compile(r"(?<![\d.])(\d{1,2})(?![\d.])")


def spell(digits: str) -> str:
    """Digit by digit, 1 as 幺: how codes and phone numbers are read."""
    return "".join(DIGITS[d] for d in digits)


def _four(number: int) -> str:
    """0 < number < 10000, with 零 for skipped places (1005 → 一千零五)."""
    out, gap = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // value % 10
        if digit:
            out += ("零" if gap and out else "") + PLAIN[str(digit)] + unit
            gap = False
        else:
            gap = True
    return out


def cardinal(number: str, measure: bool = False) -> str:
    """A quantity read out: 300 → 三百, 12 → 十二, 3.5 → 三点五, 10086 → 一万零八十六;
    `measure`: before a measure word, 2 is 两 (两个, 两万)."""
    whole, _, fraction = number.partition(".")
    value = int(whole or "0")
    if value == 0:
        text = "零"
    else:
        text, rest = "", value
        for size, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
            part, rest = divmod(rest, size)
            if part:
                # 一万零八十六: a section after a higher one, missing its thousands
                text += ("零" if text and part < 1000 else "") + _four(part) + unit
        if text.startswith("一十"):
            text = text[1:]  # 十二, not 一十二
    fraction = fraction.rstrip("0")
    if fraction:
        return text + "点" + "".join(PLAIN[d] for d in fraction)
    if measure and text == "二":
        return "两"
    if measure and text[:2] in ("二百", "二千", "二万", "二亿"):
        return "两" + text[1:]
    return text


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), match.group(2)
    said = cardinal(str(hour), measure=hour == 2) + "点"
    if minute == "00":
        return said
    return said + ("零" if minute[0] == "0" else "") + cardinal(minute.lstrip("0")) + "分"


def normalize_for_speech(text: str) -> str:
    for acronym, words in ACRONYMS.items():
        text = text.replace(acronym, words)
    text = _YEAR.sub(lambda m: "".join(PLAIN[d] for d in m.group(1)), text)
    text = _TIME.sub(_time, text)
    text = _YUAN.sub(lambda m: cardinal(m.group(1), measure=True) + "元", text)
    text = _PERCENT.sub(lambda m: "百分之" + cardinal(m.group(1)), text)
    text = _RANGE.sub(lambda m: m.group(1) + "到", text)
    # 第2次 is 第二次: an ordinal, not a count
    text = _MEASURED.sub(lambda m: m.group(1) + cardinal(m.group(2), not m.group(1)), text)
    text = _ROOM.sub(lambda m: spell(m.group(1)), text)
    text = _ORDINAL.sub(lambda m: cardinal(m.group(1)), text)
    text = _CODE.sub(lambda m: spell(m.group(1)), text)
    return _SMALL.sub(lambda m: cardinal(m.group(1)), text)
