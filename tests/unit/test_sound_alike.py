"""Words that must not be missed are heard by sound when the recogniser spells them wrong."""

import pytest

from bot.dialogue.sound_alike import SoundAlikes, fold


@pytest.mark.parametrize(
    ("spelt", "heard"),
    [("zhi", "zi"), ("shang", "san"), ("neng", "len"), ("fu", "hu"), ("xing", "xin")],
)
def test_confusable_sounds_fold_together(spelt: str, heard: str) -> None:
    assert fold(spelt) == heard


def test_a_phrase_is_heard_in_any_reading_of_the_transcript() -> None:
    sounds = SoundAlikes({"fire": ["着火了"], "short": ["着火"]})
    assert sounds.heard("我家厨房着伙了") == {"fire"}  # 伙 ~ 火, 着 read zhao
    assert sounds.heard("明天还得坐火车") == set()  # 坐火 is zuo huo; two syllables never count
