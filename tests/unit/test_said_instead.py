"""Corrections that name the wrong words and the right ones."""

import pytest

from bot.dialogue.said_instead import SaidInstead, replaced, said_instead


@pytest.mark.parametrize(
    ("text", "wrong", "right"),
    [
        ("不对不对 是102号 不是120号", "120号", "102号"),
        ("不对 不是8栋 是18栋", "8栋", "18栋"),
        ("哦 不是晚上 是早上八点", "晚上", "早上八点"),
        ("八八八八说错了 应该是八八九九", "8888", "8899"),
        ("把东路改成西路", "东路", "西路"),
    ],
)
def test_the_wrong_and_the_right_words(text: str, wrong: str, right: str) -> None:
    assert said_instead(text) == SaidInstead(wrong, right)


@pytest.mark.parametrize("text", ["是不是这个地址", "不是我说你们", "他是不是不在家", "对 没错"])
def test_no_correction_without_both_words(text: str) -> None:
    assert said_instead(text) is None


@pytest.mark.parametrize(
    ("old", "wrong", "right", "new"),
    [
        ("城北区建设大街120号楼", "120号", "102号", "城北区建设大街102号楼"),
        ("花园8栋", "8栋", "18栋", "花园18栋"),
        # the wrong words are not in the value, or twice: nothing is changed
        ("花园8栋", "9栋", "19栋", None),
        ("13888888888", "8888", "8899", None),
    ],
)
def test_only_the_wrong_words_are_replaced(
    old: str, wrong: str, right: str, new: str | None
) -> None:
    assert replaced(old, SaidInstead(wrong, right)) == new
