"""How the words heard at a pause end the turn (bot/speech/end_of_turn.py)."""

import pytest

from bot.speech.end_of_turn import Ending, TurnWaits, ending


@pytest.mark.parametrize(
    "words",
    [
        "我们小区那个",
        "就是说，",
        "路灯坏了，然后",
        "因为",
        "我家住在",
        "他们老板把",
        "楼下的",
        "嗯……",
    ],
)
def test_words_that_stop_mid_thought_wait_longest(words: str) -> None:
    assert ending(words, None) is Ending.UNFINISHED


@pytest.mark.parametrize(
    "words", ["医保卡丢了在哪儿补办？", "公积金能不能取出来啊", "要带什么材料", "是不是要本人去"]
)
def test_a_question_is_a_whole_turn(words: str) -> None:
    assert ending(words, None) is Ending.COMPLETE


def test_a_whole_answer_ends_the_turn_soon() -> None:
    assert ending("对的。", True) is Ending.COMPLETE
    assert ending("是的", True) is Ending.COMPLETE  # 的 of a set phrase is no hanging 的


def test_part_of_a_number_or_a_connective_after_an_answer_waits() -> None:
    assert ending("幺三八零零", False) is Ending.UNFINISHED
    assert ending("对，但是", True) is Ending.UNFINISHED


@pytest.mark.parametrize("words", ["路灯坏了", "我姓王", "和平路一百二十八号"])
def test_words_that_may_be_the_end_wait_the_usual(words: str) -> None:
    assert ending(words, None) is Ending.OPEN


def test_nothing_heard_is_not_an_end() -> None:
    assert ending("。", None) is Ending.UNFINISHED


def test_waits_by_ending() -> None:
    waits = TurnWaits(complete_s=0.25, open_s=0.6, unfinished_s=1.2)
    assert [waits.after(e) for e in Ending] == [0.25, 0.6, 1.2]
