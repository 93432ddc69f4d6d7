"""WebRTCVADAnalyzer inside pipecat's VADProcessor: audio frames in, VAD frames out."""

import numpy as np
import pytest
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.tests.utils import run_test

from bot.speech.vad import WebRTCVADAnalyzer
from tests.support.speech import speak

RATE = 16000


def frames(pcm: np.ndarray) -> list[InputAudioRawFrame]:
    step = RATE // 50
    return [
        InputAudioRawFrame(audio=pcm[i : i + step].tobytes(), sample_rate=RATE, num_channels=1)
        for i in range(0, len(pcm) - step + 1, step)
    ]


def vad_processor(stop_s: float = 0.4) -> VADProcessor:
    params = VADParams(confidence=0.5, start_secs=0.2, stop_secs=stop_s, min_volume=0.3)
    return VADProcessor(vad_analyzer=WebRTCVADAnalyzer(params=params), audio_idle_timeout=0)


def vad_events(down: list) -> list[type]:
    return [
        type(f)
        for f in down
        if isinstance(f, VADUserStartedSpeakingFrame | VADUserStoppedSpeakingFrame)
    ]


async def test_speech_between_silences_is_one_turn() -> None:
    silence = np.zeros(RATE, dtype=np.int16)
    pcm = np.concatenate([silence, speak("我想问一下公积金怎么提取", RATE), silence])
    down, _ = await run_test(vad_processor(), frames_to_send=frames(pcm), expected_down_frames=None)
    assert vad_events(down) == [VADUserStartedSpeakingFrame, VADUserStoppedSpeakingFrame]


async def test_silence_and_hiss_are_not_speech() -> None:
    rng = np.random.default_rng(1)
    hiss = (rng.standard_normal(RATE * 2) * 30).astype(np.int16)
    pcm = np.concatenate([np.zeros(RATE, dtype=np.int16), hiss])
    down, _ = await run_test(vad_processor(), frames_to_send=frames(pcm), expected_down_frames=None)
    assert vad_events(down) == []


def test_unsupported_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="webrtcvad supports"):
        WebRTCVADAnalyzer().set_sample_rate(22050)
