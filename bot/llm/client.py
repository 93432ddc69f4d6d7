"""OpenAI-compatible chat completions (vLLM or embedded llama.cpp), bound by a JSON schema."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

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

    async def json_completion(
        self,
        system: str,
        user: str,
        schema: dict[str, Any],
        max_tokens: int = 96,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """One JSON object conforming to `schema` (guided decoding on the server);
        `timeout_s` overrides the client's budget (a warm-up may take longer)."""
        body = {
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
        self.last_system = system
        started = time.perf_counter()
        outcome = "error"
        try:
            response = await self._http.post(
                "/v1/chat/completions",
                json=body,
                timeout=timeout_s if timeout_s is not None else self._http.timeout,
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            data = json.loads(content)
            outcome = "ok"
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            raise LLMError("the LLM did not answer within its latency budget") from exc
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            raise LLMError(f"the LLM request failed: {exc!r}") from exc
        finally:
            LLM_REQUESTS.labels(outcome).observe(time.perf_counter() - started)
        if not isinstance(data, dict):
            raise LLMError(f"the LLM returned {type(data).__name__}, not an object")
        return data

    async def close(self) -> None:
        await self._http.aclose()
