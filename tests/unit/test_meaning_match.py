"""Enum values read by meaning with the real e5 model: a clear lead decides, a vague account
decides nothing."""

import pytest
import yaml

from bot.dialogue.meaning_match import Embedded, MeaningMatcher
from bot.knowledge.dense_index import default_encoder
from tests.unit.test_local_understanding import DIALOGS

SLOT = yaml.safe_load((DIALOGS / "complaint.yaml").read_text(encoding="utf-8"))["slots"]["category"]
CATEGORIES = {value: words for value, words in SLOT["values"].items() if value != "其他"}
EXAMPLES = SLOT["examples"]


@pytest.fixture(scope="module")
def matcher() -> MeaningMatcher:
    return MeaningMatcher(Embedded(default_encoder()))


@pytest.mark.parametrize(
    ("account", "category"),
    [
        ("在厂里干了三个月 老板一直不发钱", "劳动保障"),
        ("暖气片摸着冰凉 屋里只有十几度", "城市供暖"),
        ("楼下烧烤摊天天半夜还在喊", "噪音扰民"),
        ("单位快半年没发钱了 去问就说再等等", "劳动保障"),
        ("家里冷得跟冰窖一样 片子一点温度都没有", "城市供暖"),
    ],
)
def test_an_account_that_names_no_word_is_read_by_meaning(
    matcher: MeaningMatcher, account: str, category: str
) -> None:
    assert matcher.closest(CATEGORIES, account, EXAMPLES) == category


def test_nothing_is_decided_without_a_clear_lead(matcher: MeaningMatcher) -> None:
    assert matcher.closest(CATEGORIES, "我想说个事", EXAMPLES) is None
    assert matcher.closest(CATEGORIES, "我想说个事") is None
    assert matcher.closest({"只有一个": ["值"]}, "随便什么") is None
