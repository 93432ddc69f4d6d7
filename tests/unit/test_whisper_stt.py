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
from pipecat.pipeline.pipeline import Pipeline
from pipecat.tests.utils import SleepFrame, run_test

from bot.config import Settings, VadConfig
from bot.model_cache import ASSETS
from bot.speech.end_of_turn import TurnWaits
from bot.speech.vad import turn_detector
from bot.speech.whisper_stt import ExpectedAnswerFrame, WhisperSTTService
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
    stt = WhisperSTTService(
        transcriber=transcriber,
        interim_transcriber=transcriber,
        sample_rate=rate,
        interim_interval_s=0.8,
    )
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


class CountingTranscriber:
    """The real transcriber, counting decodes (to see whether the pause decode is reused)."""

    def __init__(self, inner: WhisperTranscriber) -> None:
        self.inner = inner
        self.decoded_s: list[float] = []
        self.places: list[bool] = []
        self.questions: list[str] = []

    async def transcribe(self, pcm16: bytes, places: bool = False, question: str = ""):  # type: ignore[no-untyped-def]
        self.decoded_s.append(len(pcm16) / 2 / 16000)
        self.places.append(places)
        self.questions.append(question)
        return await self.inner.transcribe(pcm16, places, question)


def silence(seconds: float, rate: int = 16000) -> np.ndarray:
    return np.zeros(int(rate * seconds), dtype=np.int16)


async def test_decode_started_at_the_pause_is_the_final(transcriber: WhisperTranscriber) -> None:
    counting = CountingTranscriber(transcriber)
    pcm = np.concatenate([speak(SENTENCE, 16000), silence(0.5)])
    stt = WhisperSTTService(transcriber=counting, interim_interval_s=10)  # type: ignore[arg-type]
    down, _ = await run_test(stt, frames_to_send=turn(pcm, 16000), expected_down_frames=None)
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(counting.decoded_s) == 1  # no second decode at end of turn
    assert cer(SENTENCE, finals[0].text) <= 0.3, finals[0].text


async def test_speech_after_a_pause_is_decoded_again(transcriber: WhisperTranscriber) -> None:
    counting = CountingTranscriber(transcriber)
    first, second = speak("我想问一下", 16000), speak("公积金怎么提取", 16000)
    pcm = np.concatenate([first, silence(0.3), second])
    stt = WhisperSTTService(transcriber=counting, interim_interval_s=10)  # type: ignore[arg-type]
    down, _ = await run_test(stt, frames_to_send=turn(pcm, 16000), expected_down_frames=None)
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert len(counting.decoded_s) == 2
    assert counting.decoded_s[-1] > counting.decoded_s[0]  # the whole turn, not the first part
    assert cer(SENTENCE, finals[0].text) <= 0.3, finals[0].text


async def test_place_names_are_listened_for_only_after_an_address_question(
    transcriber: WhisperTranscriber,
) -> None:
    counting = CountingTranscriber(transcriber)
    pcm = np.concatenate([speak("福田区梅林街道", 16000), silence(0.5)])
    stt = WhisperSTTService(transcriber=counting, interim_interval_s=10)  # type: ignore[arg-type]
    frames = [*turn(pcm, 16000), ExpectedAnswerFrame("address"), *turn(pcm, 16000)]
    frames += [ExpectedAnswerFrame("yes_no"), *turn(pcm, 16000)]
    await run_test(stt, frames_to_send=frames, expected_down_frames=None)
    # Each turn's decodes (interim, at the pause, final) use the setting of their turn.
    turns = [
        used for i, used in enumerate(counting.places) if i == 0 or used != counting.places[i - 1]
    ]
    assert turns == [False, True, False]


async def test_a_short_answer_is_heard_in_the_context_of_the_question(
    transcriber: WhisperTranscriber,
) -> None:
    question = "请问您对这次的处理结果是满意、基本满意还是不满意？"
    counting = CountingTranscriber(transcriber)
    pcm = np.concatenate([silence(0.3, 8000), speak("不满意", 8000), silence(0.5, 8000)])
    stt = WhisperSTTService(transcriber=counting, sample_rate=8000, interim_interval_s=10)  # type: ignore[arg-type]
    frames = [ExpectedAnswerFrame("satisfaction", question=question), *turn(pcm, 8000)]
    down, _ = await run_test(stt, frames_to_send=frames, expected_down_frames=None)
    assert set(counting.questions) == {question}
    finals = [f.text for f in down if isinstance(f, TranscriptionFrame)]
    assert finals and "不满意" in finals[0], finals


def answer_turn(stop_s: float, waits: TurnWaits, transcriber: WhisperTranscriber) -> Pipeline:
    """The call's VAD stage and STT, as the pipeline chains them."""
    vad = VadConfig(
        aggressiveness=2,
        start_s=0.12,
        stop_s=stop_s,
        open_stop_s=min(stop_s, waits.open_s),
        complete_stop_s=min(stop_s, waits.complete_s),
        min_volume=0.2,
    )
    stt = WhisperSTTService(transcriber=transcriber, interim_interval_s=10, turn_waits=waits)
    return Pipeline([turn_detector(vad), stt])


def paced(pcm: np.ndarray, rate: int = 16000) -> list:
    """Audio frames at the pace a caller's audio arrives (20 ms apart)."""
    return [item for frame in audio_frames(pcm, rate) for item in (frame, SleepFrame(sleep=0.02))]


def turn_end_silence(down: list) -> float:
    [stopped] = [f for f in down if isinstance(f, VADUserStoppedSpeakingFrame)]
    return stopped.stop_secs


@pytest.mark.parametrize(
    ("answer", "completes", "ends_within_s"),
    [
        ("对，没错", lambda words: True if "对" in words else None, (0.0, 0.9)),
        ("我想问一下那个", lambda words: None, (1.0, 2.0)),
    ],
)
async def test_the_words_at_a_pause_decide_when_the_turn_ends(
    transcriber: WhisperTranscriber, answer: str, completes, ends_within_s
) -> None:
    """A whole answer ends the turn well before the VAD's own 1.2 s; words that stop
    mid-thought wait all of it."""
    waits = TurnWaits(complete_s=0.25, open_s=0.6, unfinished_s=1.2)
    await transcriber.transcribe(speak(answer, 16000).tobytes())  # a warm model, as in calls
    frames = [
        ExpectedAnswerFrame("yes_no", completes=completes),
        *paced(np.concatenate([silence(0.3), speak(answer, 16000), silence(2.0)])),
        SleepFrame(sleep=2.0),
    ]
    down, _ = await run_test(
        answer_turn(1.2, waits, transcriber), frames_to_send=frames, expected_down_frames=None
    )
    low, high = ends_within_s
    assert low <= turn_end_silence(down) <= high
    assert [f for f in down if isinstance(f, TranscriptionFrame)]
