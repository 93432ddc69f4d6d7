"""OpenAI-compatible chat completions (vLLM or embedded llama.cpp), bound by a JSON schema."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from bot.llm.caller_first import CallerFirst
from bot.metrics import LLM_REQUESTS


class LLMError(Exception):
    """The LLM could not answer in time or in shape; callers fall back to local logic."""


class LLMClient:
    def __init__(self, base_url: str, model: str, api_key: str, timeout_s: float) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
        )
        self._model = model
        # What the last request began with: llama.cpp keeps only the last prompt's prefix
        # cached, so a health probe sends the same system prompt (bot.llm.probe).
        self.last_system: str | None = None
        self._callers = CallerFirst()
        self.background_generating = 0  # background answers whose tokens are arriving

    async def json_completion(
        self,
        system: str,
        user: str,
        schema: dict[str, Any],
        max_tokens: int = 96,
        timeout_s: float | None = None,
        background: bool = False,
    ) -> dict[str, Any]:
        """One JSON object conforming to `schema` (guided decoding on the server);
        `timeout_s` overrides the client's budget (a warm-up may take longer). `background`
        work (a summary nobody waits for) yields to caller turns (bot.llm.caller_first).

        Every answer is streamed: a request given up at its budget closes its stream, and
        the embedded server stops generating for it at the next token instead of making the
        next turns queue behind it."""
        body = self._body(system, user, schema, max_tokens)
        budget = timeout_s if timeout_s is not None else float(self._http.timeout.read or 0)
        started = time.perf_counter()
        outcome = "error"
        try:
            answer = self._after_callers(body) if background else self._for_caller(body)
            data = json.loads(await asyncio.wait_for(answer, budget))
            outcome = "ok"
        except (httpx.TimeoutException, TimeoutError) as exc:
            outcome = "timeout"
            raise LLMError("the LLM did not answer within its latency budget") from exc
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise LLMError(f"the LLM request failed: {exc!r}") from exc
        finally:
            LLM_REQUESTS.labels(outcome).observe(time.perf_counter() - started)
        if not isinstance(data, dict):
            raise LLMError(f"the LLM returned {type(data).__name__}, not an object")
        return data

    def _body(
        self, system: str, user: str, schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        self.last_system = system
        return {
            "model": self._model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": max_tokens,
            # llama.cpp reads `schema` here; vLLM reads the OpenAI json_schema form.
            "response_format": {
                "type": "json_object",
                "schema": schema,
                "json_schema": {"name": "commands", "schema": schema},
            },
        }

    async def _for_caller(self, body: dict[str, Any]) -> str:
        self._callers.caller_started()
        try:
            content = await self._streamed(body, background=False)
        finally:
            self._callers.caller_finished()
        if content is None:
            raise LLMError("the LLM server stopped this answer for another request")
        return content

    async def _after_callers(self, body: dict[str, Any]) -> str:
        """Sent while no caller waits, and sent again whenever a caller's turn interrupted it."""
        while True:
            await self._callers.wait_idle()
            content = await self._streamed(body, background=True)
            if content is not None:
                return content

    async def _streamed(self, body: dict[str, Any], background: bool) -> str | None:
        """The answer, or None when the server stopped it before it finished (with [DONE]
        and no finish reason, or by closing the stream). A server that does not stream
        answers in one JSON body."""
        parts: list[str] = []
        finished = False
        try:
            async with self._http.stream(
                "POST", "/v1/chat/completions", json={**body, "stream": True}, timeout=None
            ) as response:
                response.raise_for_status()
                if response.headers.get("content-type", "").startswith("application/json"):
                    await response.aread()
                    return str(response.json()["choices"][0]["message"]["content"])
                async for line in response.aiter_lines():
                    payload = line.removeprefix("data:").strip()
                    if not line.startswith("data:") or payload == "[DONE]":
                        continue
                    if background and not parts:
                        self.background_generating += 1
                    choice = json.loads(payload)["choices"][0]
                    parts.append(choice.get("delta", {}).get("content") or "")
                    finished = finished or choice.get("finish_reason") is not None
        except httpx.RemoteProtocolError:
            if not parts:
                raise  # closed before answering: not an interruption
            return None  # interrupted mid-stream
        finally:
            if background and parts:
                self.background_generating -= 1
        return "".join(parts) if finished else None

    async def close(self) -> None:
        await self._http.aclose()
