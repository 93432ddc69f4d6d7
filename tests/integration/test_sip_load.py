"""Twenty callers at once on one worker, each speaking: all answered, none dropped."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import BotServer, free_udp_port
from tests.support.calls import caller_turns
from tests.support.sip_peers import run_sipp, scenario, stream_ulaw, write_ulaw
from tests.support.speech import speak, write_wav

CALLS = 20
SENTENCE = "我想问一下公积金怎么提取"


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

    calls = bot_server.get("/api/calls", params={"limit": 200}).json()
    ours = [
        c for c in calls if (c["caller"] or "").startswith(prefix) and c["started_at"] >= started
    ]
    assert len(ours) == CALLS
    assert all(c["ended_at"] for c in ours)
    answered = [c for c in ours if caller_turns(c) and caller_turns(c)[0]["bot_text"]]
    assert len(answered) == CALLS, [(c["caller"], len(c["turns"])) for c in ours]
    # Every caller was heard (the words, not just noise) and got the policy answer.
    assert all("公积金" in caller_turns(c)[0]["bot_text"] for c in answered)
