"""DialogueProcessor: connection and final transcripts in, spoken replies out."""

from pipecat.frames.frames import EndTaskFrame, TranscriptionFrame, TTSSpeakFrame
from pipecat.tests.utils import run_test

from bot.config import load_settings
from bot.dialogue.acknowledging_engine import AcknowledgingEngine
from bot.dialogue.engine import Reply
from bot.dialogue.processor import CallConnectedFrame, DialogueProcessor

CONFIG = load_settings().dialogue


def transcript(text: str) -> TranscriptionFrame:
    return TranscriptionFrame(text=text, user_id="", timestamp="")


async def test_greets_when_the_call_connects() -> None:
    session = AcknowledgingEngine(CONFIG).new_session("c1", None)
    down, _ = await run_test(
        DialogueProcessor(session),
        frames_to_send=[CallConnectedFrame()],
        expected_down_frames=[TTSSpeakFrame],
    )
    assert down[0].text == CONFIG.greeting


async def test_final_transcript_gets_a_spoken_reply() -> None:
    session = AcknowledgingEngine(CONFIG).new_session("c1", None)
    down, _ = await run_test(
        DialogueProcessor(session),
        frames_to_send=[transcript("我想办居住证。")],
        expected_down_frames=[TranscriptionFrame, TTSSpeakFrame],
    )
    assert "我想办居住证" in down[1].text


class FailingSession:
    async def start(self) -> list[Reply]:
        return []

    async def handle(self, utterance: str) -> list[Reply]:
        raise RuntimeError("engine bug")


async def test_engine_failure_does_not_end_the_call() -> None:
    _, up = await run_test(
        DialogueProcessor(FailingSession()),
        frames_to_send=[transcript("你好")],
        expected_down_frames=[TranscriptionFrame],
    )
    assert not any(isinstance(f, EndTaskFrame) for f in up)


class HangingUpSession(FailingSession):
    async def handle(self, utterance: str) -> list[Reply]:
        return [Reply("再见。", hangup=True)]


async def test_hangup_reply_is_spoken_then_ends_the_call() -> None:
    down, _ = await run_test(
        DialogueProcessor(HangingUpSession()),
        frames_to_send=[transcript("没有了")],
        expected_down_frames=[TranscriptionFrame, TTSSpeakFrame],
        expected_up_frames=[EndTaskFrame],
    )
    assert down[1].text == "再见。"
