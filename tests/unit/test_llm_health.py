"""A crashing embedded LLM server is named by its signal and not restarted forever.

The child is a tiny Python HTTP server standing in for llama.cpp: it serves `/v1/models` and
kills itself with SIGILL on its first completion, as a llama.cpp compiled for another CPU does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from loguru import logger

from bot.llm.llama_server import (
    LlamaServer,
    LlamaServerError,
    describe_exit,
    free_port,
    native_features,
)
from bot.llm.probe import LLMMonitor, probe_server

SIGILL_LINE = (
    "the embedded llama.cpp server died with SIGILL (illegal instruction): it was compiled "
    "for another CPU; rebuild it with `make venv`"
)

DIES_ON_FIRST_REQUEST = """
import os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self):
        os.kill(os.getpid(), signal.SIGILL)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def fake_server(tmp_path: Path, code: str) -> LlamaServer:
    port = free_port("127.0.0.1")
    server = LlamaServer(
        tmp_path / "model.gguf",
        "127.0.0.1",
        port,
        threads=1,
        context=512,
        log_path=tmp_path / "llm.log",
        command=[sys.executable, "-c", code, str(port)],
    )
    server.poll_s = 0.05
    return server


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    handler = logger.add(lambda message: messages.append(message.record["message"]), level="INFO")
    yield messages
    logger.remove(handler)


def test_exit_descriptions(tmp_path: Path) -> None:
    log = tmp_path / "llm.log"
    assert describe_exit(-signal.SIGILL, log) == (
        "died with SIGILL (illegal instruction): it was compiled for another CPU; "
        "rebuild it with `make venv`"
    )
    assert describe_exit(-signal.SIGSEGV, log) == (
        f"died with SIGSEGV (segmentation fault); see {log}"
    )
    assert describe_exit(-signal.SIGKILL).startswith("died with SIGKILL (killed): ")
    assert describe_exit(1, log) == f"exited with status 1; see {log}"


def test_a_native_build_is_named_as_the_likely_cause(tmp_path: Path) -> None:
    native = native_features(
        "CPU : SSE3 = 1 | AVX = 1 | AVX_VNNI = 0 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
        "AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 |"
    )
    assert native == ["AVX512", "AVX512_VNNI", "AMX_INT8"]
    assert native_features("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 |") == []
    log = tmp_path / "llm.log"
    assert describe_exit(-signal.SIGSEGV, log, native) == (
        "died with SIGSEGV (segmentation fault): this llama.cpp was compiled for AVX512, "
        f"AVX512_VNNI, AMX_INT8 (a native build), the likely cause; rebuild it with `make venv`; "
        f"see {log}"
    )
    assert describe_exit(-signal.SIGILL, log, native) == (
        "died with SIGILL (illegal instruction): it was compiled for another CPU (AVX512, "
        "AVX512_VNNI, AMX_INT8); rebuild it with `make venv`"
    )
    assert describe_exit(-signal.SIGTERM, log, native) == (
        f"died with SIGTERM (terminated); see {log}"
    )


def test_sigill_while_loading_is_named(tmp_path: Path) -> None:
    server = fake_server(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    with pytest.raises(LlamaServerError) as raised:
        server.start(timeout_s=20)
    assert raised.value.reason.startswith("died with SIGILL (illegal instruction)")
    assert str(raised.value) == SIGILL_LINE.replace("llama.cpp", "LLM")
    health = server.health()
    assert not health.running and health.crashes == 1


async def wait_for(condition: Callable[[], bool], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_sigill_on_first_request_is_named_and_restarts_stop(
    tmp_path: Path, warnings: list[str]
) -> None:
    server = fake_server(tmp_path, DIES_ON_FIRST_REQUEST)
    server.start(timeout_s=20)
    server.supervise()
    monitor = LLMMonitor(server.url, model="m", api_key="", timeout_s=5, server=server)
    try:
        health = await monitor.probe()
        assert not health.answering
        assert health.detail == SIGILL_LINE
        assert health.line() == f"LLM: NOT answering — {SIGILL_LINE}"
        # The supervisor restarts it; each probe kills it again, until it is given up.
        for restarts in (1, 2):
            await wait_for(lambda r=restarts: server.health().restarts == r)  # type: ignore[misc]
            await monitor._wait_until_serving(server, timeout_s=20)
            assert monitor.report()["answering"] is None  # restarted, not probed since
            assert (await probe_server(server, timeout_s=5)).detail == SIGILL_LINE
        await wait_for(lambda: server.health().gave_up)
        await asyncio.sleep(server.poll_s * 10)  # no more restarts once given up
        state = server.health()
        assert not state.running and state.restarts == 2 and state.crashes == 3
        report = monitor.report()
        assert report["answering"] is False
        assert report["detail"] == f"{SIGILL_LINE} (not restarted after 3 crashes)"
        assert report["server"] == {"restarts": 2, "crashes": 3, "gave_up": True}
    finally:
        server.stop()
    crashes = [m for m in warnings if m.startswith("embedded LLM died with SIGILL")]
    assert len(crashes) == 3
    given_up = [m for m in warnings if "not restarting it" in m]
    assert len(given_up) == 1 and "crashed 3 times within 60 s" in given_up[0]


async def test_a_stopped_server_is_not_a_crash(tmp_path: Path) -> None:
    server = fake_server(tmp_path, DIES_ON_FIRST_REQUEST)
    server.start(timeout_s=20)
    server.supervise()
    server.stop()
    await asyncio.sleep(server.poll_s * 5)
    state = server.health()
    assert not state.running and state.crashes == 0 and state.restarts == 0
