"""Background LLM work yields to caller turns: a real HTTP server on loopback plays the LLM."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from bot.llm.client import LLMClient
from tests.support.loopback_http import Behaviour, LoopbackServer, reply

SUMMARY = '{"summary": "市民来电反映……"}'


def chunk(content: str, finish: str | None) -> bytes:
    event = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def streams(finishes: list[bool]) -> Behaviour:
    """Streamed answers: the n-th ends with a finish reason or, like llama-cpp-python
    interrupted by another request, with [DONE] only."""

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        finished = finishes.pop(0)
        body = chunk(SUMMARY[:10], None) + chunk(SUMMARY[10:], "stop" if finished else None)
        reply(handler, 200, body + b"data: [DONE]\n\n", "text/event-stream")

    return behaviour


def answering_after(release: threading.Event, then: Behaviour) -> Behaviour:
    """A caller's turn the server holds until `release`; summaries go to `then`."""

    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        if server_bodies(handler)[-1]["messages"][-1]["content"] == "写摘要":  # type: ignore[index]
            then(handler)
            return
        release.wait(10)
        content = json.dumps({"choices": [{"message": {"content": '{"kind": "affirm"}'}}]})
        reply(handler, 200, content.encode(), "application/json")

    return behaviour


def server_bodies(handler: BaseHTTPRequestHandler) -> list[dict[str, object]]:
    return handler.server.bodies  # type: ignore[attr-defined, no-any-return]


async def test_an_interrupted_summary_is_sent_again_and_finishes(
    serve: Callable[[Behaviour], LoopbackServer],
) -> None:
    server = serve(streams([False, True]))
    client = LLMClient(server.url, "m", "", timeout_s=5)
    data = await client.json_completion("系统", "写摘要", {"type": "object"}, background=True)
    await client.close()
    assert data == {"summary": "市民来电反映……"}
    assert [body["stream"] for body in server.bodies] == [True, True]


async def test_a_summary_waits_while_a_caller_turn_is_answered(
    serve: Callable[[Behaviour], LoopbackServer],
) -> None:
    release = threading.Event()
    server = serve(answering_after(release, streams([True])))
    client = LLMClient(server.url, "m", "", timeout_s=5)
    turn = asyncio.create_task(client.json_completion("系统", "市民说：是的", {"type": "object"}))
    async with asyncio.timeout(5):
        while not server.bodies:  # the turn reached the server
            await asyncio.sleep(0.01)
    summary = asyncio.create_task(
        client.json_completion("系统", "写摘要", {"type": "object"}, background=True)
    )
    await asyncio.sleep(0.3)
    assert len(server.bodies) == 1 and not summary.done()  # not sent while the turn waits
    release.set()
    assert await turn == {"kind": "affirm"}
    assert await asyncio.wait_for(summary, 5) == {"summary": "市民来电反映……"}
    await client.close()
    assert [body["messages"][-1]["content"] for body in server.bodies] == ["市民说：是的", "写摘要"]  # type: ignore[index]
