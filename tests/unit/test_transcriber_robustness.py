"""No invented words: music-on-hold, noise and mains hum give an empty transcript, also when
the bot's last question is in the decoder prompt (Whisper likes to repeat its prompt)."""

from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech.whisper_transcriber import WhisperTranscriber

RATE = 16000
SECONDS = np.arange(RATE * 4) / RATE


def tones(frequencies: list[float], each_s: float = 0.5) -> np.ndarray:
    t = np.arange(int(RATE * each_s)) / RATE
    return np.concatenate(
        [np.sin(2 * np.pi * f * t) + 0.5 * np.sin(4 * np.pi * f * t) for f in frequencies]
    )


def sounds() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "hold melody": tones([262, 330, 392, 523, 392, 330, 262, 294]),
        "chord": sum(np.sin(2 * np.pi * f * SECONDS) for f in (262, 330, 392)),
        "brown noise": np.cumsum(rng.standard_normal(RATE * 4)),
        "white noise": rng.standard_normal(RATE * 4),
        "mains hum": np.sin(2 * np.pi * 50 * SECONDS),
    }  # type: ignore[return-value]


@pytest.fixture(scope="module")
def transcriber(settings: Settings, cache_dir: Path) -> WhisperTranscriber:
    return WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), settings.asr)


QUESTIONS = ["", "请问您对这次的处理结果是满意、基本满意还是不满意？", "请问您的联系电话是多少？"]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("name", sorted(sounds()))
def test_non_speech_is_not_transcribed(
    transcriber: WhisperTranscriber, name: str, question: str
) -> None:
    audio = sounds()[name]
    audio = audio - audio.mean()
    pcm = (audio / np.abs(audio).max() * 0.5 * 32767).astype(np.int16)
    assert transcriber.transcribe_sync(pcm.tobytes(), question=question).text == ""
