"""CachedVoice: each clause is synthesised once, and the audio is what the voice makes."""

from collections.abc import Iterator

from bot.speech.cached_voice import CachedVoice


class CountingVoice:
    name = "counting"
    sample_rate = 16000

    def __init__(self) -> None:
        self.calls: list[str] = []

    def synthesize(self, text: str) -> Iterator[bytes]:
        self.calls.append(text)
        yield text.encode()


def test_clauses_are_synthesised_once() -> None:
    inner = CountingVoice()
    voice = CachedVoice(inner)
    first = b"".join(voice.synthesize("您好，请问有什么可以帮您？"))
    second = b"".join(voice.synthesize("您好，您的工单已受理。"))
    assert first == "您好，请问有什么可以帮您？".encode()
    assert second == "您好，您的工单已受理。".encode()
    assert inner.calls == ["您好，", "请问有什么可以帮您？", "您的工单已受理。"]


def test_warm_up_and_bounded_size() -> None:
    inner = CountingVoice()
    voice = CachedVoice(inner, max_clauses=2)
    assert voice.warm(["一，二，三。"]) == 2  # the oldest clause was evicted
    list(voice.synthesize("三。"))
    list(voice.synthesize("一，"))
    assert inner.calls == ["一，", "二，", "三。", "一，"]
