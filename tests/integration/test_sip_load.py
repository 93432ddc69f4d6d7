"""Twenty callers at once on one worker, each speaking: all answered, none dropped."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.conftest import BotServer, free_udp_port
from tests.support.calls import Call, caller_turns
from tests.support.sip_peers import run_sipp, scenario, stream_ulaw, write_ulaw
from tests.support.speech import speak, write_wav

CALLS = 20
SENTENCE = "我想问一下公积金怎么提取"
RECORD_CLOSE_S = 15.0


async def ended_calls(bot: BotServer, prefix: str, since: float, timeout: float) -> list[Call]:
    """This test's call records once all have ended (or the last seen at the deadline)."""
    deadline = time.monotonic() + timeout
    async with bot.api() as client:
        while True:
            calls = (await client.get("/api/calls", params={"limit": 200})).json()
            ours = [c for c in calls if (c["caller"] or "").startswith(prefix)]
            ours = [c for c in ours if c["started_at"] >= since]
            if (len(ours) == CALLS and all(c["ended_at"] for c in ours)) or (
                time.monotonic() > deadline
            ):
                return ours
            await asyncio.sleep(0.2)


async def test_twenty_concurrent_calls_with_audio(bot_server: BotServer, tmp_path: Path) -> None:
    audio = write_ulaw(
        write_wav(tmp_path / "q.wav", speak(SENTENCE, 8000), 8000), tmp_path / "q.ul"
    )
    prefix = f"1{int(time.time()) % 10**6:06d}"
    xml = scenario(
        "caller",
        tmp_path,
        caller=f"{prefix}[call_number]",
        lead_ms=1500,
        listen_ms=20000,
        media=stream_ulaw(audio),
    )
    started = time.time()
    result = await run_sipp(
        xml,
        "-m",
        str(CALLS),
        "-l",
        str(CALLS),
        "-r",
        "10",
        "-mp",
        str(free_udp_port()),
        f"127.0.0.1:{bot_server.sip_port}",
        timeout_s=60,
        workdir=tmp_path,
    )
    assert result.ok, result.output
    assert (result.count("Successful call"), result.count("Failed call")) == (CALLS, 0)

    # The caller's BYE is answered before the call's pipeline is torn down and its record
    # closed: each record ends soon after, or it is a leak.
    ours = await ended_calls(bot_server, prefix, started, timeout=RECORD_CLOSE_S)
    assert len(ours) == CALLS
    assert all(c["ended_at"] for c in ours), [c["caller"] for c in ours if not c["ended_at"]]
    answered = [c for c in ours if caller_turns(c) and caller_turns(c)[0]["bot_text"]]
    assert len(answered) == CALLS, [(c["caller"], len(c["turns"])) for c in ours]
    # Every caller was heard (the words, not just noise) and got the policy answer.
    assert all("公积金" in caller_turns(c)[0]["bot_text"] for c in answered)
