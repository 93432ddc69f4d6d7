"""A real softphone (baresip) calls the bot: it hears the bot's answer, in words."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.conftest import BotServer
from tests.support.calls import caller_turns, wait_for_caller
from tests.support.sip_peers import baresip_call
from tests.support.speech import recall, speak, write_wav

SENTENCE = "我想问一下公积金怎么提取"


async def transcribe(path: Path) -> str:
    """The project's own ASR, as an operator runs it: `hotline transcribe --json`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "transcribe",
        "--json",
        str(path),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    return str(json.loads(output.decode().strip().splitlines()[-1])["text"])


async def test_baresip_hears_the_answer(bot_server: BotServer, tmp_path: Path) -> None:
    # Pause, question, then 18 s of listening: baresip hangs up when its microphone WAV ends.
    microphone = write_wav(tmp_path / "mic.wav", speak(SENTENCE, 8000), 8000, lead_s=1.5, tail_s=18)
    heard = await baresip_call(
        f"sip:12345@127.0.0.1:{bot_server.sip_port}", microphone, tmp_path, timeout_s=40
    )
    audio, _ = sf.read(heard, dtype="int16")
    assert np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 300  # not silence

    call = await wait_for_caller(
        bot_server, "13900000004", lambda c: bool(caller_turns(c)) and c["ended_at"], 20
    )
    reply = caller_turns(call)[0]["bot_text"]
    assert "公积金" in reply
    first_sentence = reply.split("。")[0]
    transcript = await transcribe(heard)
    assert recall(first_sentence, transcript) >= 0.6, (first_sentence, transcript)
