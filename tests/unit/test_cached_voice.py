"""CachedVoice: each clause is synthesised once, and the audio is what the voice makes, less
its leading silence."""

from collections.abc import Iterator

import numpy as np

from bot.speech.cached_voice import CachedVoice

RATE = 16000
LEAD = np.zeros(RATE // 5, dtype=np.int16)  # 200 ms of silence before every clause


def sound(text: str) -> np.ndarray:
    """A stand-in for speech: one loud sample per character."""
    return np.array([ord(char) % 20000 + 1000 for char in text], dtype=np.int16)


class CountingVoice:
    name = "counting"
    sample_rate = RATE

    def __init__(self) -> None:
        self.calls: list[str] = []

    def synthesize(self, text: str) -> Iterator[bytes]:
        self.calls.append(text)
        yield np.concatenate([LEAD, sound(text)]).tobytes()


def heard(voice: CachedVoice, text: str) -> np.ndarray:
    return np.frombuffer(b"".join(voice.synthesize(text)), dtype=np.int16)


def test_clauses_are_synthesised_once() -> None:
    inner = CountingVoice()
    voice = CachedVoice(inner)
    first = heard(voice, "您好，请问有什么可以帮您？")
    heard(voice, "您好，您的工单已受理。")
    assert inner.calls == ["您好，", "请问有什么可以帮您？", "您的工单已受理。"]
    assert np.count_nonzero(first) == len("您好，请问有什么可以帮您？")


def test_leading_silence_is_cut_to_a_short_margin() -> None:
    voice = CachedVoice(CountingVoice())
    audio = heard(voice, "您好，")
    margin = RATE // 50  # 20 ms kept before the first sound
    assert len(audio) == margin + len("您好，")
    assert not audio[:margin].any() and audio[margin:].all()


def test_warm_up_and_bounded_size() -> None:
    inner = CountingVoice()
    voice = CachedVoice(inner, max_clauses=2)
    assert voice.warm(["一，二，三。"]) == 2  # the oldest clause was evicted
    list(voice.synthesize("三。"))
    list(voice.synthesize("一，"))
    assert inner.calls == ["一，", "二，", "三。", "一，"]


class PiecewiseVoice:
    """Makes each clause in two pieces after a silent one, noting when each is made."""

    name = "piecewise"
    sample_rate = RATE

    def __init__(self) -> None:
        self.made: list[str] = []

    def synthesize(self, text: str) -> Iterator[bytes]:
        yield LEAD.tobytes()
        for half in (text[: len(text) // 2], text[len(text) // 2 :]):
            self.made.append(half)
            yield sound(half).tobytes()


def test_a_new_clause_is_passed_on_as_it_is_made_and_cached_whole() -> None:
    inner = PiecewiseVoice()
    voice = CachedVoice(inner)
    chunks = voice.synthesize("请问您的电话，")
    first = np.frombuffer(next(chunks), dtype=np.int16)
    assert inner.made == ["请问您"]  # out before the rest of the clause is made
    assert first.any() and len(first) == RATE // 50 + 3  # the silent lead is gone, but 20 ms
    rest = b"".join(chunks)
    again = b"".join(voice.synthesize("请问您的电话，"))
    assert inner.made == ["请问您", "的电话，"]  # made once
    assert again == first.tobytes() + rest
