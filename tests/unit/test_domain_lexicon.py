"""The hotline's terms are restored where Whisper wrote a sound-alike, and nothing else is."""

from __future__ import annotations

from pathlib import Path

from bench.asr import condition
from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech.domain_lexicon import DomainLexicon, place_terms
from bot.speech.whisper_transcriber import WhisperTranscriber
from tests.support.speech import caller_voice, speak

LEXICON = DomainLexicon(["医保", "养老保险", "灵活就业", "龙岗", "宝安", "罗湖", "落户", "12345"])


def test_sound_alikes_become_the_term() -> None:
    assert LEXICON.correct("我想咨询一下以保报销的比例。") == "我想咨询一下医保报销的比例。"
    assert LEXICON.correct("杨老抱先转移怎么操作") == "养老保险转移怎么操作"


def test_one_confusable_sound_is_forgiven_in_longer_terms_only() -> None:
    assert LEXICON.correct("林活就业人员怎么交社保") == "灵活就业人员怎么交社保"  # lin / ling
    assert LEXICON.correct("农港的工地") == "农港的工地"  # two syllables: must sound the same


def test_a_more_common_word_is_kept_unless_that_term_was_asked_for() -> None:
    assert LEXICON.correct("小区保安打人") == "小区保安打人"
    assert LEXICON.correct("保安新安街道", expected={"宝安"}) == "宝安新安街道"


def test_a_term_is_never_turned_into_another_that_sounds_the_same() -> None:
    assert LEXICON.correct("罗湖东门") == "罗湖东门"
    assert LEXICON.correct("我想落户") == "我想落户"


def test_digits_punctuation_and_latin_pass_through() -> None:
    assert len(LEXICON) == 7  # 12345 is left to Whisper
    assert LEXICON.correct("电话13800，APP以保。") == "电话13800，APP医保。"
    assert DomainLexicon([]).correct("以保") == "以保"


def test_districts_are_also_named_without_their_suffix() -> None:
    assert place_terms(["南山区", "大鹏新区", "西丽", "东区"]) == [
        "南山区",
        "南山",
        "大鹏新区",
        "大鹏",
        "西丽",
        "东区",
    ]


def test_a_call_hears_the_hotline_term(settings: Settings, cache_dir: Path) -> None:
    """The sentence through the phone band: Whisper alone writes 以保 for 医保."""
    rate = caller_voice().sample_rate
    audio = condition(speak("我想咨询一下医保报销的比例", rate), rate, "phone")
    model = ASSETS["whisper-base"].check(cache_dir)
    with_lexicon = WhisperTranscriber(model, settings.asr).transcribe_sync(audio.tobytes())
    without = WhisperTranscriber(
        model, settings.asr.model_copy(update={"lexicon": [], "place_names": []})
    ).transcribe_sync(audio.tobytes())
    assert "医保" in with_lexicon.text, with_lexicon.text
    assert "医保" not in without.text, without.text
