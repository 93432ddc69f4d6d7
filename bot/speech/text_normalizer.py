"""Text as a caller should hear it: numbers read the way Chinese hotlines read them.

Runs before every voice. Service and ticket numbers are read digit by digit with 1 as 幺
(12345 → 幺二三四五, 110 → 幺幺零); quantities with a unit are left to the voice's own
number reading (300元 → 三百元); 50% → 百分之50; a few Latin acronyms become Chinese words.
"""

from __future__ import annotations

import re

DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
ACRONYMS = {
    "APP": "手机应用",
    "App": "手机应用",
    "app": "手机应用",
    "WiFi": "无线网络",
    "ID": "编号",
}
# A number followed by one of these is a quantity, not a code.
UNITS = (
    "元|块|角|分钟|分|秒|小时|天|日|月|年|岁|周|个|人|次|件|份|张|户|套|间|平方米|平米|米|公里|"
    "千米|克|公斤|斤|吨|升|度|万|亿|千|百|倍|号|楼|层|栋|幢|单元|室|路|级|项|条|位|名|家|所|辆"
)
_CODE = re.compile(rf"(?<![\d.])(\d{{3,}})(?![\d.]|{UNITS})")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")


def spell(digits: str) -> str:
    return "".join(DIGITS[d] for d in digits)


def normalize_for_speech(text: str) -> str:
    for acronym, words in ACRONYMS.items():
        text = text.replace(acronym, words)
    text = _PERCENT.sub(r"百分之\1", text)
    return _CODE.sub(lambda m: spell(m.group(1)), text)
