"""DialogueProcessor: connection and final transcripts in, spoken replies out."""

import asyncio

from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    EndWorkerFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.tests.utils import SleepFrame, run_test

from bot.dialogue.engine import Acknowledge, Reply
from bot.dialogue.processor import CallConnectedFrame, DialogueEventsFrame, DialogueProcessor
from bot.speech.transcript import Transcript
from bot.speech.whisper_stt import ExpectedAnswerFrame


class EchoSession:
    """A stand-in engine session (the processor is under test, not the flows)."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []

    async def start(self) -> list[Reply]:
        return [Reply("您好，这里是12345。")]

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        self.events.append({"type": "heard", "text": utterance, "confidence": confidence})
        return [Reply(f"您说的是{utterance}")]

    async def silence(self) -> list[Reply]:
        return [Reply("您还在吗？")]

    def take_events(self) -> list[dict[str, object]]:
        events, self.events = self.events, []
        return events

    def expected_slot_type(self) -> str | None:
        return None

    def completes_answer(self, words: str) -> bool | None:
        return None


def transcript(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text=text, user_id="", timestamp="")


async def test_greets_when_the_call_connects() -> None:
    down, _ = await run_test(
        DialogueProcessor(EchoSession()),
        frames_to_send=[CallConnectedFrame()],
        expected_down_frames=[TTSSpeakFrame],
    )
    assert down[0].text == "您好，这里是12345。"


async def test_final_transcript_gets_a_spoken_reply_and_its_events() -> None:
    down, _ = await run_test(
        DialogueProcessor(EchoSession()),
        frames_to_send=[transcript("我想办居住证。")],
        expected_down_frames=[TranscriptionFrame, DialogueEventsFrame, TTSSpeakFrame],
    )
    assert down[1].events == [{"type": "heard", "text": "我想办居住证。", "confidence": None}]
    assert "我想办居住证" in down[2].text


async def test_the_recognisers_confidence_reaches_the_dialogue() -> None:
    heard = Transcript("一三八零零一三八零零零", 2.0, 0.3, done_at=0.0, confidence=0.42)
    frame = TranscriptionFrame(text=heard.text, user_id="", timestamp="", result=heard)
    down, _ = await run_test(
        DialogueProcessor(EchoSession()),
        frames_to_send=[frame],
        expected_down_frames=[TranscriptionFrame, DialogueEventsFrame, TTSSpeakFrame],
    )
    assert down[1].events[0]["confidence"] == 0.42


class ThinkingSession(EchoSession):
    """Understanding takes a while (an LLM): the caller hears an acknowledgement first."""

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        assert acknowledge is not None
        await acknowledge(Reply("好的。"))
        return await super().handle(utterance)


async def test_a_slow_turn_is_acknowledged_before_its_reply() -> None:
    down, _ = await run_test(
        DialogueProcessor(ThinkingSession()),
        frames_to_send=[transcript("我家暖气不热。")],
        expected_down_frames=[
            TranscriptionFrame,
            TTSSpeakFrame,
            DialogueEventsFrame,
            TTSSpeakFrame,
        ],
    )
    assert down[1].text == "好的。"
    assert "暖气" in down[3].text


class FailingSession(EchoSession):
    async def start(self) -> list[Reply]:
        return []

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        raise RuntimeError("engine bug")


async def test_engine_failure_does_not_end_the_call() -> None:
    _, up = await run_test(
        DialogueProcessor(FailingSession()),
        frames_to_send=[transcript("你好")],
        expected_down_frames=[TranscriptionFrame],
    )
    assert not any(isinstance(f, EndWorkerFrame) for f in up)


class HangingUpSession(FailingSession):
    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        return [Reply("再见。", hangup=True)]


async def test_hangup_reply_is_spoken_then_ends_the_call() -> None:
    down, _ = await run_test(
        DialogueProcessor(HangingUpSession()),
        frames_to_send=[transcript("没有了")],
        expected_down_frames=[TranscriptionFrame, TTSSpeakFrame],
        expected_up_frames=[EndWorkerFrame],
    )
    assert down[1].text == "再见。"


async def test_silence_after_the_bot_spoke_gets_a_reprompt() -> None:
    down, _ = await run_test(
        DialogueProcessor(EchoSession(), silence_timeout_s=0.2),
        frames_to_send=[BotStoppedSpeakingFrame(), SleepFrame(sleep=0.5)],
        expected_down_frames=[BotStoppedSpeakingFrame, TTSSpeakFrame],
    )
    assert down[1].text == "您还在吗？"


async def test_caller_speech_cancels_the_silence_reprompt() -> None:
    await run_test(
        DialogueProcessor(EchoSession(), silence_timeout_s=0.3),
        frames_to_send=[
            BotStoppedSpeakingFrame(),
            SleepFrame(sleep=0.1),
            VADUserStartedSpeakingFrame(),
            SleepFrame(sleep=0.5),
        ],
        expected_down_frames=[BotStoppedSpeakingFrame, VADUserStartedSpeakingFrame],
    )


async def test_each_reply_tells_the_asr_what_answer_to_expect() -> None:
    down, up = await run_test(
        DialogueProcessor(AskingSession()),
        frames_to_send=[CallConnectedFrame(), transcript("我要投诉噪音")],
        expected_down_frames=[
            TTSSpeakFrame,
            TranscriptionFrame,
            DialogueEventsFrame,
            TTSSpeakFrame,
        ],
    )
    expected = [f for f in up if isinstance(f, ExpectedAnswerFrame)]
    assert [f.slot_type for f in expected] == [None, "address"]
    spoken = [f.text for f in down if isinstance(f, TTSSpeakFrame)]
    assert [f.question for f in expected] == spoken  # the ASR hears answers in context


class AskingSession(EchoSession):
    """Asks for the address once the caller has said what happened."""

    def expected_slot_type(self) -> str | None:
        return "address" if self.asked else None

    def completes_answer(self, words: str) -> bool | None:
        return None

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        self.asked = True
        return await super().handle(utterance, acknowledge)

    asked = False


class SlowSession(EchoSession):
    """A turn that takes longer than the silence timeout (an LLM on a small machine)."""

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        await asyncio.sleep(0.5)
        return await super().handle(utterance)


async def test_no_reprompt_while_the_callers_turn_is_handled() -> None:
    down, _ = await run_test(
        DialogueProcessor(SlowSession(), silence_timeout_s=0.2),
        frames_to_send=[VADUserStoppedSpeakingFrame(), transcript("我想问个事"), SleepFrame(0.1)],
        expected_down_frames=[
            VADUserStoppedSpeakingFrame,
            TranscriptionFrame,
            DialogueEventsFrame,
            TTSSpeakFrame,
        ],
    )
    spoken = [f.text for f in down if isinstance(f, TTSSpeakFrame)]
    assert spoken == ["您说的是我想问个事"]
