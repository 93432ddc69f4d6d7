"""When the LLM dies or is slow, the conversation carries on with the local rules."""

import asyncio
import json
import os
import select
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bot.config import Settings
from bot.dialogue.commands import Command
from bot.dialogue.llm_understanding import LLMUnderstanding
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import load_flows
from bot.llm.client import LLMClient
from bot.llm.llama_server import LlamaServer

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"


def read_turn(process: subprocess.Popen[str], timeout: float) -> dict:  # type: ignore[type-arg]
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith("{"):
                return json.loads(line)
    raise TimeoutError("no turn from hotline chat")


def say(process: subprocess.Popen[str], line: str) -> None:
    assert process.stdin is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()


def test_llm_server_stopped_mid_chat(settings: Settings, cache_dir: Path, tmp_path: Path) -> None:
    server = LlamaServer.embedded(settings, tmp_path / "llm.log", port=0)
    server.start()
    env = {
        **os.environ,
        "HOTLINE_LLM__URL": server.url,
        "HOTLINE_REDIS__KEY_PREFIX": f"hotline-fallback-{uuid.uuid4().hex[:6]}",
    }
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat", "--json", "--understanding", "llm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        read_turn(chat, timeout=120)  # greeting
        say(chat, "对门邻居养了条大狗 天天晚上叫 叫一宿")  # no cue: the LLM is asked
        turn = read_turn(chat, timeout=60)
        assert turn["understood_by"] == "llm" and turn["flow"] == "complaint"
        # No word names the kind; the account means it (a dog barking all night).
        assert turn["slots"]["category"] == "噪音扰民" and "地址" in turn["bot"]
        server.stop()  # the LLM goes away in the middle of the call
        say(chat, "主要是影响休息")  # the rules are unsure; the LLM is gone
        turn = read_turn(chat, timeout=30)
        assert turn["understood_by"] == "local-fallback"
        assert "address" not in turn["slots"] and "地址" in turn["bot"]  # asked again
        say(chat, "在南山区科技园路18号")
        assert read_turn(chat, timeout=30)["slots"]["address"] == "南山区科技园路18号"
    finally:
        server.stop()
        chat.kill()
        _, stderr = chat.communicate(timeout=10)
    assert "using local rules" in stderr


async def test_slow_llm_falls_back_within_its_budget() -> None:
    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    flow_set = load_flows([DIALOGS])
    client = LLMClient(f"http://127.0.0.1:{port}", "m", "", timeout_s=0.5)
    understanding = LLMUnderstanding(client, LocalUnderstanding(flow_set), flow_set)
    menu = Expectation("menu", "main")
    started = time.monotonic()
    commands = await understanding.understand("对门邻居养了条大狗 天天晚上叫", menu)
    assert time.monotonic() - started < 2
    assert commands == [Command(kind="start_flow", flow="complaint")]
    assert understanding.fallbacks == 1
    await client.close()
    server.close()
