"""The LLM probe names why an LLM does not answer: real HTTP servers on loopback misbehave."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from bot.llm.client import LLMClient
from bot.llm.probe import LLMHealth, LLMMonitor, probe_url
from tests.support.loopback_http import Behaviour, LoopbackServer, reply

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"kind": "goodbye"}'}}],
}


def answers(handler: BaseHTTPRequestHandler) -> None:
    reply(handler, 200, json.dumps(COMPLETION).encode(), "application/json")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_answer_is_answering(serve: Callable[[Behaviour], LoopbackServer]) -> None:
    server = serve(answers)
    health = await probe_url(server.url, model="qwen", timeout_s=5, system="你是热线助手")
    assert health.answering, health
    assert health.detail == server.url
    assert health.latency_s is not None and 0 < health.latency_s < 5
    assert health.line() == f"LLM: answering ({server.url}, {health.latency_s:.1f} s)"
    sent = server.bodies[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["max_tokens"] == 4 and sent["model"] == "qwen"
    assert sent["messages"] == [
        {"role": "system", "content": "你是热线助手"},
        {"role": "user", "content": "你好"},
    ]


async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    health = await probe_url(url, timeout_s=5, label="vLLM")
    assert not health.answering and health.latency_s is None
    assert health.detail == "connection refused by vLLM"
    assert health.line() == "LLM: NOT answering — connection refused by vLLM"


async def test_timeout(serve: Callable[[Behaviour], LoopbackServer]) -> None:
    server = serve(lambda handler: time.sleep(3))
    started = time.monotonic()
    health = await probe_url(server.url, timeout_s=0.5)
    assert time.monotonic() - started < 2
    assert not health.answering
    assert health.detail == f"{server.url} did not answer within 0.5 s"


async def test_http_error_status(serve: Callable[[Behaviour], LoopbackServer]) -> None:
    server = serve(lambda handler: reply(handler, 503, b"model is loading", "text/plain"))
    health = await probe_url(server.url, timeout_s=5)
    assert not health.answering
    assert health.detail == f"{server.url} answered HTTP 503: 'model is loading'"


@pytest.mark.parametrize(
    "body",
    [b"<html>proxy login</html>", b'{"choices": []}', b'{"choices": [{"message": {}}]}'],
)
async def test_garbage_is_not_an_answer(
    serve: Callable[[Behaviour], LoopbackServer], body: bytes
) -> None:
    server = serve(lambda handler: reply(handler, 200, body, "application/json"))
    health = await probe_url(server.url, timeout_s=5)
    assert not health.answering
    assert health.detail.startswith(f"{server.url} answered something that is not a chat")
    assert body.decode()[:10] in health.detail


async def test_connection_closed_without_answer(
    serve: Callable[[Behaviour], LoopbackServer],
) -> None:
    def hang_up(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    server = serve(hang_up)
    health = await probe_url(server.url, timeout_s=5)
    assert not health.answering
    assert health.detail == f"{server.url} closed the connection without answering"


async def test_monitor_reports_the_cached_probe(
    serve: Callable[[Behaviour], LoopbackServer],
) -> None:
    server = serve(answers)
    client = LLMClient(server.url, "m", "", timeout_s=5)
    monitor = LLMMonitor(
        server.url, model="m", api_key="k", timeout_s=5, system=lambda: client.last_system
    )
    assert monitor.report()["answering"] is None  # not probed yet: unknown, not false
    await monitor.probe()
    assert server.bodies[0]["messages"] == [{"role": "user", "content": "你好"}]
    # Once the bot asked, probes begin as its requests do: llama.cpp keeps that prefix cached.
    assert await client.json_completion("系统：12345热线", "市民说：再见", {"type": "object"})
    await client.close()
    await monitor.probe()
    assert server.bodies[2]["messages"][0] == {"role": "system", "content": "系统：12345热线"}  # type: ignore[index]
    report = monitor.report()
    assert report["configured"] is True and report["answering"] is True
    assert str(report["detail"]).startswith(f"answering ({server.url}, ")
    assert isinstance(report["checked_at"], str) and report["checked_at"].endswith("+00:00")
    assert len(server.bodies) == 3  # reporting did not probe again


def test_not_answering_line() -> None:
    assert LLMHealth(False, "x").line() == "LLM: NOT answering — x"
