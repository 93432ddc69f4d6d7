"""Words that must not be missed are heard by sound when the recogniser spells them wrong."""

import pytest

from bot.dialogue.sound_alike import SoundAlikes, fold


@pytest.mark.parametrize(
    ("spelt", "heard"),
    [
        ("zhi", "zi"),
        ("shang", "san"),
        ("neng", "len"),
        ("fu", "hu"),
        ("xing", "xin"),
        ("yu", "yi"),  # ü heard as i: 语 ~ 已
        ("xue", "xie"),
        ("nv", "li"),
        ("you", "you"),
    ],
)
def test_confusable_sounds_fold_together(spelt: str, heard: str) -> None:
    assert fold(spelt) == heard


def test_a_phrase_is_heard_in_any_reading_of_the_transcript() -> None:
    sounds = SoundAlikes({"fire": ["着火了"], "short": ["着火"]})
    assert sounds.heard("我家厨房着伙了") == {"fire"}  # 伙 ~ 火, 着 read zhao
    assert sounds.heard("明天还得坐火车") == set()  # 坐火 is zuo huo; two syllables never count


def test_one_syllable_off_matches_only_long_phrases_and_exact_beats_it() -> None:
    tolerant = SoundAlikes({"off": ["暂时无法接通", "已关机"], "stopped": ["已停机"]}, 4)
    assert tolerant.heard("您拨打的电话再时无法接通") == {"off"}  # one of six off
    assert tolerant.heard("您拨打的电话已观机") == {"off"}  # the same sounds
    assert tolerant.heard("您拨打的电话已X机") == set()
    assert SoundAlikes({"off": ["暂时无法接通"]}).heard("再时无法接通") == set()
    both = SoundAlikes({"exact": ["呼入限制"], "near": ["呼叫限制"]}, 4)
    assert both.heard("呼入限制") == {"exact", "near"}
    assert both.nearest("呼入限制") == {"exact"}
