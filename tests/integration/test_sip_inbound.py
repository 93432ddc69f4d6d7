"""Citizens calling over SIP: sipp as the phone, the bot as `hotline serve`, RTP captured on lo."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import numpy as np

from telephony.g711 import ulaw_decode
from tests.conftest import BotServer, free_udp_port
from tests.support.calls import caller_turns, wait_for_call, wait_for_caller
from tests.support.sip_peers import (
    DTMF_PCAPS,
    RtpCapture,
    call_once,
    play_pcap,
    run_sipp,
    scenario,
    stream_ulaw,
    write_ulaw,
)
from tests.support.speech import cer, speak, write_wav

SENTENCE = "我想问一下公积金怎么提取"
# Loud enough to be speech, not line noise: µ-law silence decodes to ±8 at most.
SPEECH_RMS = 300


def new_caller() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def speak_file(text: str, workdir: Path) -> Path:
    wav = write_wav(workdir / "caller.wav", speak(text, 16000), 16000)
    return write_ulaw(wav, workdir / "caller.ul")


async def test_sipp_caller_is_transcribed_and_hears_the_answer(
    bot_server: BotServer, tmp_path: Path
) -> None:
    audio = speak_file(SENTENCE, tmp_path)
    caller, media_port = new_caller(), free_udp_port()
    xml = scenario(
        "caller",
        tmp_path,
        caller=caller,
        lead_ms=1500,
        listen_ms=10000,
        media=stream_ulaw(audio),
    )
    with RtpCapture(tmp_path / "bot.pcap", media_port) as capture:
        result = await call_once(
            xml,
            bot_server.sip_port,
            timeout_s=40,
            workdir=tmp_path,
            media_port=media_port,
        )
    assert result.ok, result.output

    call = await wait_for_caller(
        bot_server, caller, lambda c: len(caller_turns(c)) >= 1 and c["ended_at"], 20
    )
    heard = caller_turns(call)[0]
    assert cer(SENTENCE, heard["caller_text"]) <= 0.3, heard
    assert "公积金" in heard["bot_text"]
    assert heard["latency_ms"] is not None and heard["latency_ms"] < 3000

    packets = capture.packets()
    assert packets, "no RTP from the bot reached the caller"
    assert {packet.payload_type for packet in packets} == {0}  # PCMU, as negotiated
    timestamps = np.diff([packet.timestamp for packet in packets]).astype(np.int64) % 2**32
    assert set(timestamps[timestamps < 8000]) == {160}  # 20 ms frames back to back
    assert any(packet.marker for packet in packets)  # talkspurts are marked
    speech = ulaw_decode(b"".join(packet.payload for packet in packets)).astype(np.float64)
    assert np.sqrt(np.mean(speech**2)) > SPEECH_RMS


async def test_sipp_keypress_reaches_the_dialogue(bot_server: BotServer, tmp_path: Path) -> None:
    caller = new_caller()
    xml = scenario(
        "caller",
        tmp_path,
        caller=caller,
        lead_ms=1000,
        listen_ms=4000,
        media=play_pcap(DTMF_PCAPS / "dtmf_2833_2.pcap"),
    )
    result = await call_once(
        xml,
        bot_server.sip_port,
        timeout_s=30,
        workdir=tmp_path,
    )
    assert result.ok, result.output
    call = await wait_for_caller(
        bot_server, caller, lambda c: any(t["caller_dtmf"] for t in c["turns"]), 15
    )
    pressed = [turn for turn in call["turns"] if turn["caller_dtmf"]]
    assert [turn["caller_dtmf"] for turn in pressed] == ["2"]
    # Key 2 is the complaint flow: the bot starts taking the work order.
    assert pressed[0]["bot_text"] and "问题" in pressed[0]["bot_text"], pressed[0]


async def test_outbound_call_through_the_api(bot_server: BotServer, tmp_path: Path) -> None:
    callee_port, media_port = free_udp_port(), free_udp_port()
    xml = scenario("callee_listens", tmp_path, listen_ms=6000)
    with RtpCapture(tmp_path / "greeting.pcap", media_port) as capture:
        callee = asyncio.create_task(
            run_sipp(
                xml,
                "-m",
                "1",
                "-p",
                str(callee_port),
                "-mp",
                str(media_port),
                timeout_s=30,
                workdir=tmp_path,
            )
        )
        await asyncio.sleep(0.5)
        async with bot_server.api(timeout=40) as client:
            response = await client.post(
                "/api/calls/outbound",
                json={"number": f"sip:13900000007@127.0.0.1:{callee_port}"},
            )
        assert response.status_code == 200, response.text
        placed = response.json()
        assert placed["outcome"] == "answered" and placed["call_id"]
        assert (await callee).ok
    call = await wait_for_call(bot_server, placed["call_id"], lambda c: c["ended_at"], 20)
    assert (call["channel"], call["direction"], call["caller"]) == (
        "sip",
        "outbound",
        "13900000007",
    )
    assert call["turns"] and call["turns"][0]["bot_text"]  # the bot spoke first
    greeting = ulaw_decode(b"".join(p.payload for p in capture.packets())).astype(np.float64)
    assert np.sqrt(np.mean(greeting**2)) > SPEECH_RMS


async def test_outbound_call_requests_are_checked(bot_server: BotServer) -> None:
    async with bot_server.api(timeout=40) as client:
        unknown = await client.post("/api/calls/outbound", json={"number": "1", "trunk": "x"})
        assert unknown.status_code == 400 and "No SIP trunk named 'x'" in unknown.json()["detail"]
        bad = await client.post("/api/calls/outbound", json={"number": "rm -rf"})
        assert bad.status_code == 422
