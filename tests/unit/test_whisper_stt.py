"""WhisperSTTService: VAD-framed audio in, interim and final transcripts out."""

import numpy as np
import pytest
from pipecat.frames.frames import (
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech.whisper_stt import WhisperSTTService
from bot.speech.whisper_transcriber import WhisperTranscriber
from tests.support.speech import cer, speak

SENTENCE = "我想问一下公积金怎么提取"


@pytest.fixture(scope="module")
def transcriber(settings: Settings, cache_dir) -> WhisperTranscriber:  # type: ignore[no-untyped-def]
    return WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), settings.asr)


def audio_frames(pcm: np.ndarray, rate: int) -> list[InputAudioRawFrame]:
    step = rate // 50
    return [
        InputAudioRawFrame(audio=pcm[i : i + step].tobytes(), sample_rate=rate, num_channels=1)
        for i in range(0, len(pcm), step)
    ]


def turn(pcm: np.ndarray, rate: int) -> list:
    return [
        VADUserStartedSpeakingFrame(),
        *audio_frames(pcm, rate),
        VADUserStoppedSpeakingFrame(stop_secs=0.5),
        SleepFrame(sleep=3.0),
    ]


@pytest.mark.parametrize("rate", [16000, 8000])
async def test_final_transcript_at_end_of_turn(transcriber: WhisperTranscriber, rate: int) -> None:
    stt = WhisperSTTService(transcriber=transcriber, sample_rate=rate, interim_interval_s=10)
    down, _ = await run_test(
        stt, frames_to_send=turn(speak(SENTENCE, rate), rate), expected_down_frames=None
    )
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(finals) == 1
    assert cer(SENTENCE, finals[0].text) <= 0.3, finals[0].text


async def test_interim_transcripts_while_speaking(transcriber: WhisperTranscriber) -> None:
    rate = 16000
    speech = speak("您好，我家楼下的饭馆每天晚上都很吵，我想投诉一下", rate)
    frames = [VADUserStartedSpeakingFrame()]
    for frame in audio_frames(speech, rate):
        frames += [frame, SleepFrame(sleep=0.02)]  # real-time pace, so interims can happen
    frames += [VADUserStoppedSpeakingFrame(stop_secs=0.5), SleepFrame(sleep=3.0)]
    stt = WhisperSTTService(transcriber=transcriber, sample_rate=rate, interim_interval_s=0.8)
    down, _ = await run_test(stt, frames_to_send=frames, expected_down_frames=None)
    kinds = [type(f) for f in down if isinstance(f, TranscriptionFrame | InterimTranscriptionFrame)]
    assert InterimTranscriptionFrame in kinds
    assert kinds[-1] is TranscriptionFrame
    assert kinds.index(InterimTranscriptionFrame) < kinds.index(TranscriptionFrame)


async def test_noise_turn_gives_no_transcript(transcriber: WhisperTranscriber) -> None:
    rate = 16000
    rng = np.random.default_rng(7)
    noise = (rng.standard_normal(rate * 2) * 800).astype(np.int16)
    stt = WhisperSTTService(transcriber=transcriber, sample_rate=rate, interim_interval_s=10)
    down, _ = await run_test(stt, frames_to_send=turn(noise, rate), expected_down_frames=None)
    assert [f for f in down if isinstance(f, TranscriptionFrame)] == []
