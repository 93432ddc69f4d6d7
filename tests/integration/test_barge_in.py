"""Barge-in over a real WebRTC call: the caller talks over the greeting and the bot stops."""

import asyncio
import time

from tests.conftest import BotServer
from tests.support.calls import caller_turns, wait_for_call
from tests.support.speech import speak
from tests.support.webrtc_caller import RATE, WebRTCCaller

MAX_STOP_S = 0.3


def last_loud_before_gap(caller: WebRTCCaller, since: float, gap_s: float) -> float:
    """The last loud bot frame after `since` that is followed by `gap_s` of quiet."""
    loud = caller.ear.loud_since(since)
    for current, following in zip(loud, [*loud[1:], float("inf")], strict=True):
        if following - current >= gap_s:
            return current
    raise AssertionError("the bot never paused")


async def test_caller_speech_stops_the_bot_within_300_ms(bot_server: BotServer) -> None:
    words = speak("等一下，我有急事要说", RATE)  # rendered before the call: no stall mid-call
    caller = WebRTCCaller(bot_server.url)
    await caller.dial()
    try:
        greeting_started = await caller.wait_for_bot_audio(time.time(), timeout=15)
        await asyncio.sleep(1.0 - (time.time() - greeting_started))  # mid-greeting
        assert caller.ear.loud_since(time.time() - 0.1), "greeting should still be playing"
        caller.mic.say(words)
        await asyncio.sleep(2.5)
        onset = caller.mic.speech_started_at
        assert onset is not None
        heard_until = last_loud_before_gap(caller, onset, gap_s=0.8)
        call = await wait_for_call(
            bot_server, caller.call_id or "", lambda c: bool(caller_turns(c)), timeout=15
        )
    finally:
        await caller.hang_up()
    cut_at = call["turns"][0]["interrupted_at"]
    assert cut_at is not None, "the greeting was not interrupted"
    print(
        f"barge-in: bot stopped sending {1000 * (cut_at - onset):.0f} ms after caller speech "
        f"onset; its last audio reached the caller {1000 * (heard_until - onset):.0f} ms after"
    )
    assert cut_at - onset <= MAX_STOP_S
    # What the caller hears also includes both jitter buffers and the packets in flight.
    assert heard_until - onset <= MAX_STOP_S + 0.25
