"""The city's place names reach the decoder (prompt or hotwords) within Whisper's prompt
window, and a place name said alone is not mistaken for the prompt echoed on silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech.whisper_transcriber import PROMPT_TOKENS, WhisperTranscriber
from tests.support.speech import cer, scoring_form, speak


def transcriber(settings: Settings, cache_dir: Path, **asr: object) -> WhisperTranscriber:
    config = settings.asr.model_copy(update=asr)
    return WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), config)


def test_place_names_go_into_the_prompt_or_hotwords(settings: Settings, cache_dir: Path) -> None:
    names = ["福田区", "罗湖区", "梅林"]
    in_prompt = transcriber(settings, cache_dir, place_names=names, place_names_via="prompt")
    assert in_prompt._place_prompt.startswith("本市地名：福田区、罗湖区、梅林。")
    assert in_prompt._place_hotwords is None
    assert in_prompt._prompt == settings.asr.initial_prompt  # other answers: no place names
    as_hotwords = transcriber(settings, cache_dir, place_names=names, place_names_via="hotwords")
    assert as_hotwords._place_hotwords == "福田区、罗湖区、梅林"
    assert as_hotwords._place_prompt == settings.asr.initial_prompt
    off = transcriber(settings, cache_dir, place_names=names, place_names_via="off")
    assert (off._place_prompt, off._place_hotwords) == (settings.asr.initial_prompt, None)


def test_names_beyond_the_prompt_window_are_left_out(settings: Settings, cache_dir: Path) -> None:
    many = [f"{name}{i}号" for i in range(60) for name in ("新安", "西乡")]
    fitted = transcriber(settings, cache_dir, place_names=many, place_names_via="prompt")
    prompt = fitted._place_prompt
    assert len(fitted._model.hf_tokenizer.encode(" " + prompt).ids) <= PROMPT_TOKENS
    assert prompt.endswith(settings.asr.initial_prompt)  # the vocabulary stays
    assert "新安0号" in prompt and "西乡59号" not in prompt


def test_an_address_is_heard(settings: Settings, cache_dir: Path) -> None:
    audio = speak("福田区梅林街道", 16000)
    silence = np.zeros(4000, dtype=np.int16)
    heard = transcriber(settings, cache_dir).transcribe_sync(
        np.concatenate([silence, audio, silence]).tobytes(), places=True
    )
    assert cer("福田区梅林街道", heard.text) <= 0.3, heard.text


def test_numbers_are_scored_in_one_written_form() -> None:
    assert (
        "".join(scoring_form("南山区科技园路十八号，电话一三八零零"))
        == "南山区科技园路18号电话13800"
    )
    assert "".join(scoring_form("一百二十号三栋二单元，两万三千")) == "120号3栋2单元23000"
    assert cer("晚上十点以后", "晚上10点以后。") == 0.0
