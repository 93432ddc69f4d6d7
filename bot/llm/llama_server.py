"""The embedded LLM: llama-cpp-python's OpenAI-compatible server, started and supervised here.

It runs as a child process on loopback so a crash or a slow prompt never takes the bot down;
if it dies it is restarted, and meanwhile understanding falls back to the local rules.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from loguru import logger

from bot.config import Settings
from bot.model_cache import ASSETS


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    def __init__(
        self, model: Path, host: str, port: int, threads: int, context: int, log_path: Path
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            host,
            "--port",
            str(self.port),
            "--n_threads",
            str(threads),
            "--n_ctx",
            str(context),
            "--chat_format",
            "chatml",
        ]
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @classmethod
    def embedded(cls, settings: Settings, log_path: Path, port: int | None = None) -> LlamaServer:
        """The server configured under `llm.embedded`, on the prepared GGUF weights."""
        config = settings.llm.embedded
        cache_dir = settings.project_path(settings.models.cache_dir)
        return cls(
            ASSETS[config.asset].check(cache_dir) / "model.gguf",
            config.host,
            config.port if port is None else port,
            config.threads,
            config.context,
            log_path,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _spawn(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)

    def start(self, timeout_s: float = 120) -> None:
        """Start and wait until it serves (loading 1 GB of weights takes a few seconds)."""
        self._spawn()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"the embedded LLM server exited with {self._process.returncode}; "
                    f"see {self._log_path}"
                )
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=1).status_code == 200:
                    logger.info(f"embedded LLM serving on {self.url}")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the embedded LLM server did not start in {timeout_s:.0f} s")

    def supervise(self) -> None:
        """Restart the server whenever it exits (call from a running event loop)."""
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1)
            if self._process is not None and self._process.poll() is not None:
                logger.warning(f"embedded LLM exited ({self._process.returncode}); restarting")
                self._spawn()

    def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
