"""Can the LLM answer? One tiny chat completion, its failure named for an operator.

`hotline models check` probes once; `/healthz` probes in the background (`LLMMonitor`) and
reports the cached result, together with the embedded server's supervisor state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from loguru import logger

from bot.config import Settings
from bot.llm.llama_server import LlamaServer, LlamaServerError
from bot.model_cache import ModelError

EMBEDDED = "embedded llama.cpp"
PROBE_USER = "你好"
PROBE_MAX_TOKENS = 4


@dataclass(frozen=True)
class LLMHealth:
    answering: bool
    detail: str  # where it answered, or why it did not
    latency_s: float | None = None
    checked_at: float = field(default_factory=time.time)

    def line(self) -> str:
        if self.answering:
            latency = f", {self.latency_s:.1f} s" if self.latency_s is not None else ""
            return f"LLM: answering ({self.detail}{latency})"
        return f"LLM: NOT answering — {self.detail}"


def _connection_refused(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "refused" in str(exc).lower()


def _snippet(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")


async def probe_url(
    url: str,
    *,
    model: str = "",
    api_key: str = "",
    timeout_s: float = 10.0,
    system: str | None = None,
    label: str | None = None,
) -> LLMHealth:
    """Ask `url` (OpenAI-compatible) for a few tokens. `system`, when given, is sent first so
    a server with a prompt cache (llama.cpp) keeps the prefix the bot's own requests share."""
    label = label or url
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": PROBE_USER})
    body = {
        "model": model,
        "messages": messages,
        "temperature": 0,
        "max_tokens": PROBE_MAX_TOKENS,
    }
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    started = time.monotonic()
    try:
        # trust_env=False: a proxy from the environment must not stand in for the LLM.
        async with httpx.AsyncClient(timeout=timeout_s, trust_env=False) as http:
            response = await http.post(
                f"{url.rstrip('/')}/v1/chat/completions", json=body, headers=headers
            )
    except httpx.TimeoutException:
        return LLMHealth(False, f"{label} did not answer within {timeout_s:g} s")
    except httpx.ConnectError as exc:
        if _connection_refused(exc):
            return LLMHealth(False, f"connection refused by {label}")
        return LLMHealth(False, f"cannot connect to {label}: {exc}")
    except httpx.RemoteProtocolError:
        return LLMHealth(False, f"{label} closed the connection without answering")
    except httpx.HTTPError as exc:
        return LLMHealth(False, f"the request to {label} failed: {exc!r}")
    latency_s = time.monotonic() - started
    if response.status_code != 200:
        return LLMHealth(
            False, f"{label} answered HTTP {response.status_code}: {_snippet(response.text)}"
        )
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str):
        return LLMHealth(
            False,
            f"{label} answered something that is not a chat completion: {_snippet(response.text)}",
        )
    return LLMHealth(True, label, latency_s)


async def probe_server(
    server: LlamaServer,
    *,
    model: str = "",
    timeout_s: float = 10.0,
    system: str | None = None,
    exit_wait_s: float = 2.0,
) -> LLMHealth:
    """Probe the embedded server; when it fails because the child died, say how it died."""
    state = server.health()
    if not state.running:
        return LLMHealth(False, f"the {EMBEDDED} server {state.detail}")
    crashes = state.crashes
    result = await probe_url(
        server.url, model=model, timeout_s=timeout_s, system=system, label=EMBEDDED
    )
    if result.answering:
        return result
    await server.wait_exit(exit_wait_s)
    state = server.health()
    if state.crashes > crashes and state.last_exit is not None:
        return LLMHealth(False, f"the {EMBEDDED} server {state.last_exit}")
    return result


def check_llm(
    settings: Settings, timeout_s: float = 20.0, start_timeout_s: float = 120.0
) -> LLMHealth:
    """The configured LLM's answer to one tiny completion: `llm.url` if set, else the embedded
    server, started for the occasion and stopped after."""
    llm = settings.llm
    if llm.url:
        return asyncio.run(
            probe_url(llm.url, model=llm.model, api_key=llm.api_key, timeout_s=timeout_s)
        )
    log_path = settings.project_path(settings.calls.recordings_dir).parent / "llm-check.log"
    try:
        server = LlamaServer.embedded(settings, log_path)
    except ModelError as exc:
        return LLMHealth(False, f"the {EMBEDDED} model is not ready: {exc}")
    try:
        server.start(timeout_s=start_timeout_s)
    except LlamaServerError as exc:
        return LLMHealth(False, f"the {EMBEDDED} server {exc.reason}")
    try:
        return asyncio.run(probe_server(server, model=llm.model, timeout_s=timeout_s))
    finally:
        server.stop()


class LLMMonitor:
    """Probes the LLM now and then in the background; `report()` is what `/healthz` shows.

    The embedded server's supervisor state counts at once: a crashed child is reported as not
    answering without waiting for the next probe, and a restarted one is probed again as soon
    as it serves.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str,
        api_key: str,
        timeout_s: float,
        server: LlamaServer | None = None,
        system: Callable[[], str | None] | None = None,
        interval_s: float = 60.0,
    ) -> None:
        """`system` gives the system prompt the bot's requests begin with (LLMClient.last_system),
        sent ahead of the probe's question so that llama.cpp, which caches only the last
        prompt's prefix, keeps the one the next caller's request needs."""
        self._url = url
        self._model = model
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._server = server
        self._system = system
        self._interval_s = interval_s
        self.last: LLMHealth | None = None
        self._probed_restarts = 0

    async def probe(self) -> LLMHealth:
        system = self._system() if self._system is not None else None
        if self._server is not None:
            self._probed_restarts = self._server.health().restarts
            result = await probe_server(
                self._server, model=self._model, timeout_s=self._timeout_s, system=system
            )
        else:
            result = await probe_url(
                self._url,
                model=self._model,
                api_key=self._api_key,
                timeout_s=self._timeout_s,
                system=system,
            )
        if (self.last is None or self.last.answering) and not result.answering:
            logger.warning(result.line())
        elif self.last is not None and not self.last.answering and result.answering:
            logger.info(result.line())
        self.last = result
        return result

    async def _wait_until_serving(self, server: LlamaServer, timeout_s: float = 120) -> None:
        """A restarted child loads its weights first; probing meanwhile would be refused."""
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=1, trust_env=False) as http:
            while time.monotonic() < deadline and server.health().running:
                try:
                    if (await http.get(f"{server.url}/v1/models")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)

    async def run(self) -> None:
        """Probe now, then every `interval_s`, and right after each restart of the child."""
        while True:
            try:
                await self.probe()
            except Exception:  # a bug here must not end the monitoring for good
                logger.exception("LLM probe failed")
            next_probe = time.monotonic() + self._interval_s
            while time.monotonic() < next_probe:
                await asyncio.sleep(1)
                server = self._server
                if server is not None and server.health().restarts != self._probed_restarts:
                    await self._wait_until_serving(server)
                    break

    def report(self) -> dict[str, object]:
        """`answering` is None until the first probe ended (or while a restart is unchecked)."""
        state = self._server.health() if self._server is not None else None
        if state is not None and not state.running:
            return {
                "configured": True,
                "answering": False,
                "detail": f"the {EMBEDDED} server {state.detail}",
                "latency_s": None,
                "checked_at": _iso(time.time()),
                "server": _server_fields(state.restarts, state.crashes, state.gave_up),
            }
        report: dict[str, object] = {
            "configured": True,
            "answering": None,
            "detail": "not checked yet",
            "latency_s": None,
            "checked_at": None,
        }
        if state is not None and state.restarts != self._probed_restarts:
            report["detail"] = f"restarted after it {state.last_exit}; not checked since"
        elif self.last is not None:
            report.update(
                answering=self.last.answering,
                detail=self.last.line().removeprefix("LLM: "),
                latency_s=None if self.last.latency_s is None else round(self.last.latency_s, 3),
                checked_at=_iso(self.last.checked_at),
            )
        if state is not None:
            report["server"] = _server_fields(state.restarts, state.crashes, state.gave_up)
        return report


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def _server_fields(restarts: int, crashes: int, gave_up: bool) -> dict[str, object]:
    return {"restarts": restarts, "crashes": crashes, "gave_up": gave_up}
