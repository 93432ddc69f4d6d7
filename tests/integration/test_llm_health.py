"""The operator is told whether the LLM really answers: `hotline models check` and /healthz."""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BotServer

pytestmark = pytest.mark.integration


def hotline(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **env},
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_models_check_gets_an_answer_from_the_embedded_llm() -> None:
    result = hotline("models", "check", HOTLINE_LLM__URL="", HOTLINE_DIALOGUE__UNDERSTANDING="llm")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All models ready" in result.stdout
    answered = re.search(
        r"^LLM: answering \(embedded llama\.cpp, (\d+\.\d) s\)$", result.stdout, re.M
    )
    assert answered, result.stdout + result.stderr
    assert float(answered.group(1)) < 20


def test_models_check_fails_when_the_configured_llm_is_down() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    used = hotline("models", "check", HOTLINE_LLM__URL=url, HOTLINE_DIALOGUE__UNDERSTANDING="llm")
    assert used.returncode == 1, used.stdout + used.stderr
    assert f"LLM: NOT answering — connection refused by {url}\n" in used.stdout
    unused = hotline(
        "models", "check", HOTLINE_LLM__URL=url, HOTLINE_DIALOGUE__UNDERSTANDING="local"
    )
    assert unused.returncode == 0, unused.stdout + unused.stderr
    assert (
        f"LLM: NOT answering — connection refused by {url}; "
        "not used while dialogue.understanding is `local`"
    ) in unused.stdout


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def llama_child(pid: int) -> int:
    for child in descendants(pid):
        try:
            if b"llama_cpp.server" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except FileNotFoundError:
            continue
    raise AssertionError("no llama_cpp.server child of `hotline serve`")


@pytest.fixture
def no_core_dumps() -> Iterator[None]:
    """The children (and the llama.cpp server) inherit it: a SIGILL leaves no core file."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    yield
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def wait_llm(
    bot: BotServer, until: Callable[[dict[str, object]], bool], timeout_s: float
) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    llm: dict[str, object] = {}
    while time.monotonic() < deadline:
        if bot.process.poll() is not None:
            raise AssertionError(f"bot exited:\n{bot.log_path.read_text()[-3000:]}")
        try:
            llm = httpx.get(f"{bot.url}/healthz", timeout=2).json()["llm"]
            if until(llm):
                return llm
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"/healthz llm is still {llm}:\n{bot.log_path.read_text()[-3000:]}")


def test_healthz_reports_the_embedded_llm_and_its_crash(
    tmp_path: Path, no_core_dumps: None
) -> None:
    bot = BotServer(tmp_path, HOTLINE_LLM__URL="", HOTLINE_DIALOGUE__UNDERSTANDING="llm")
    try:
        # Probed after the warm-up; a probe queued behind a slow prefill may time out first.
        llm = wait_llm(bot, lambda llm: llm.get("answering") is True, timeout_s=300)
        assert llm["configured"] is True
        assert str(llm["detail"]).startswith("answering (embedded llama.cpp, ")
        assert isinstance(llm["latency_s"], float) and isinstance(llm["checked_at"], str)
        assert llm["server"] == {"restarts": 0, "crashes": 0, "gave_up": False}

        # What a llama.cpp built for another CPU does on its first request.
        os.kill(llama_child(bot.process.pid), signal.SIGILL)
        llm = wait_llm(bot, lambda llm: "SIGILL" in str(llm["detail"]), timeout_s=10)
        assert llm["answering"] is not True
        assert "died with SIGILL (illegal instruction)" in str(llm["detail"])
        assert "rebuild it with `make venv`" in str(llm["detail"])

        # Restarted by its supervisor (one crash is not a loop), and probed again at once.
        llm = wait_llm(bot, lambda llm: llm["answering"] is True, timeout_s=120)
        assert llm["server"] == {"restarts": 1, "crashes": 1, "gave_up": False}
    finally:
        bot.stop()
    log = bot.log_path.read_text()
    assert "embedded LLM died with SIGILL (illegal instruction)" in log
