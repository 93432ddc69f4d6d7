"""Phone and ID numbers are masked in logs; ids, dates and work-order numbers are not."""

import pytest

from bot.privacy import mask_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 7f3a from 13912345678 answered", "call 7f3a from 139****5678 answered"),
        ("dialling sip:+8613800138000@10.0.0.5:5060", "dialling sip:+86*******8000@10.0.0.5:5060"),
        ("我的电话是138 0013 8000", "我的电话是138****8000"),
        ("身份证号110101199003071234。", "身份证号110***********1234。"),
        ("11010119900307123X", "110***********123X"),
        ("座机010-12345678", "座机010****5678"),
    ],
)
def test_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "ticket 202612020001 created on 2026-12-02 at 07:15:02",
        "call 9f1c13912345678e ended after 3 turns",  # a hex id that holds 11 digits
        "INVITE from ('127.0.0.1', 5062) refused: 486",
    ],
)
def test_other_figures_are_left_alone(text: str) -> None:
    assert mask_numbers(text) == text
