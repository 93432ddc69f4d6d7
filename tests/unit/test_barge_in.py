"""BargeIn: confirmed caller speech becomes an interruption in both directions."""

from pipecat.frames.frames import InterruptionFrame, VADUserStartedSpeakingFrame
from pipecat.tests.utils import run_test

from bot.speech.barge_in import BargeIn


async def test_caller_speech_interrupts_both_ways() -> None:
    await run_test(
        BargeIn(),
        frames_to_send=[VADUserStartedSpeakingFrame()],
        expected_down_frames=[VADUserStartedSpeakingFrame, InterruptionFrame],
        expected_up_frames=[InterruptionFrame],
    )
