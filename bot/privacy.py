"""Phone and ID numbers masked wherever a person or a log may see them: 138****8000 is enough
to recognise a caller again, not enough to call them."""

from __future__ import annotations

import re

# Mobile (138 0013 8000, spaced or not, +86 or not) and landline numbers, and the 18
# characters of a resident ID number; not inside a longer token such as a hex id, and not
# dates or work-order numbers.
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?"
    r"(?:1[3-9]\d(?:[ -]?\d){8}|0\d{2,3}[ -]?\d{7,8}|\d{17}[\dXx])"
    r"(?![0-9A-Za-z])"
)


def mask_number(number: str | None) -> str:
    """The first three and the last four characters of a number; the rest starred."""
    if not number:
        return "未知"
    if len(number) >= 7:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    return number[:1] + "*" * (len(number) - 1)


def mask_numbers(text: str) -> str:
    """`text` with every phone-number-like or ID-number-like run masked."""
    return _NUMBER.sub(lambda match: mask_number(re.sub(r"[ -]", "", match.group())), text)
