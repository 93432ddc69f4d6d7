"""PauseTracker: where the caller's speech ended inside a turn, frame by frame."""

import numpy as np

from bot.speech.pause_tracker import PauseTracker
from tests.support.speech import speak

RATE = 8000


def tracked(pcm: np.ndarray, floor_db: float) -> PauseTracker:
    tracker = PauseTracker(RATE, floor_db=floor_db)
    tracker.reset(0)
    tracker.feed(pcm.tobytes())
    return tracker


def speech_end_s(pcm: np.ndarray, floor_db: float) -> float:
    return tracked(pcm, floor_db).speech_end_bytes / 2 / RATE


def test_a_fading_tail_far_below_the_speech_is_a_pause() -> None:
    loud = speak("我想问一下公积金怎么提取", RATE)
    whisper = (speak("怎么提取", RATE) * 0.01).astype(np.int16)  # 40 dB down: inaudible on a call
    pcm = np.concatenate([loud, whisper])
    end = len(loud) / RATE
    tracker = tracked(pcm, floor_db=-30)
    assert abs(tracker.speech_end_bytes / 2 / RATE - end) <= 0.1
    assert tracker.quiet_s >= 0.5  # a pause sure enough to decode at once
    # webrtcvad alone still calls the faint tail speech: the pause would start much later.
    assert speech_end_s(pcm, floor_db=-200) > end + 0.3


def test_speech_at_its_own_level_is_not_cut() -> None:
    first, second = speak("我想问一下", RATE), speak("公积金怎么提取", RATE)
    pcm = np.concatenate([first, np.zeros(RATE // 5, np.int16), second])
    assert speech_end_s(pcm, floor_db=-30) >= len(pcm) / RATE - 0.15


def test_on_a_noisy_line_webrtcvad_decides() -> None:
    speech = speak("社保卡丢了应该去哪里补办", RATE)
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(RATE) * np.sqrt(np.mean(speech.astype(float) ** 2)) * 0.2
    pcm = np.concatenate([speech, noise.astype(np.int16)])
    # The line noise (14 dB below the speech) is above the floor, so only webrtcvad's verdict
    # counts, exactly as with the floor off, and the pause is not a quiet one.
    tracker = tracked(pcm, floor_db=-30)
    assert tracker.speech_end_bytes == tracked(pcm, floor_db=-200).speech_end_bytes
    assert tracker.quiet_s == 0
