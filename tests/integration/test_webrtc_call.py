"""A whole call over WebRTC (aiortc as the caller) against `hotline serve`."""

import asyncio
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from tests.conftest import BotServer
from tests.support.calls import caller_turns, wait_for_call
from tests.support.speech import cer, speak
from tests.support.webrtc_caller import RATE, WebRTCCaller

SENTENCE = "我想问一下公积金怎么提取"


async def wait_quiet(caller: WebRTCCaller, quiet_s: float, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        await asyncio.sleep(0.1)
        if not caller.ear.loud_since(time.time() - quiet_s):
            return
    heard = [round(t - deadline + timeout, 1) for t in caller.ear.loud_since(deadline - timeout)]
    raise TimeoutError(f"the bot never fell silent: loud at {heard[:3]} … {heard[-3:]}")


async def test_greeting_transcript_reply_and_record(bot_server: BotServer) -> None:
    words = speak(SENTENCE, RATE)  # rendered before the call: no stall mid-call
    caller = WebRTCCaller(bot_server.url)
    await caller.dial()
    try:
        dialled = time.time()
        await caller.wait_for_bot_audio(dialled, timeout=15)  # the greeting
        await wait_quiet(caller, quiet_s=1.0, timeout=20)
        caller.mic.say(words)
        spoke = time.time()
        reply_at = await caller.wait_for_bot_audio(spoke + 1.0, timeout=20)
        assert caller.mic.speech_started_at is not None
        await wait_quiet(caller, quiet_s=1.0, timeout=45)  # a policy answer is long
        call = await wait_for_call(
            bot_server, caller.call_id or "", lambda c: bool(caller_turns(c)), timeout=10
        )
    finally:
        await caller.hang_up()

    greeting, turn = call["turns"][0], caller_turns(call)[0]
    assert greeting["caller_text"] is None and "12345" in greeting["bot_text"]
    assert cer(SENTENCE, turn["caller_text"]) <= 0.3, turn["caller_text"]
    assert "根据《住房公积金提取办理指南》" in turn["bot_text"]  # answered from the knowledge base
    assert [e["type"] for e in call["events"]] == ["answer"] and call["events"][0]["grounded"]
    # every milestone stamped, in causal order, and the reply heard after the caller spoke
    stamps = ["speech_end", "asr_final", "reply_ready", "first_tts_audio", "first_audio_out"]
    values = [turn[name] for name in stamps]
    assert all(v is not None for v in values), turn
    assert values == sorted(values), turn
    print(
        "turn timings (ms after caller speech end):",
        {name: round(1000 * (turn[name] - turn["speech_end"])) for name in stamps},
    )
    assert 0 < turn["latency_ms"] < 3000
    assert reply_at > caller.mic.speech_started_at

    ended = await wait_for_call(
        bot_server, call["id"], lambda c: c["ended_at"] is not None, timeout=15
    )
    recording, rate = sf.read(ended["recording"], dtype="int16")
    assert recording.ndim == 2 and recording.shape[1] == 2 and rate == 16000
    caller_rms, bot_rms = np.sqrt(np.mean(recording.astype(np.float64) ** 2, axis=0))
    assert caller_rms > 100 and bot_rms > 100  # both directions were recorded
    assert Path(ended["recording"]).stat().st_size > 16000 * 4

    listed = bot_server.get("/api/calls", params={"limit": 20}).json()
    assert call["id"] in [c["id"] for c in listed]


def test_unknown_call_is_404(bot_server: BotServer) -> None:
    response = bot_server.get("/api/calls/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "No call with id 'nope'."


def test_bad_offer_is_refused_clearly(bot_server: BotServer) -> None:
    response = httpx.post(f"{bot_server.url}/phone/offer", json={"sdp": "garbage", "type": "offer"})
    assert response.status_code == 400
    assert "SDP offer could not be used" in response.json()["detail"]
