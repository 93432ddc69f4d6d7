"""Shared fixtures: the real settings, models, caller speech and a running bot server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.webrtc.ice import use_host_addresses

# Test peers live on loopback only: aioice in this process (the aiortc test caller) too.
use_host_addresses(["127.0.0.1"])


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def cache_dir(settings: Settings) -> Path:
    return settings.project_path(settings.models.cache_dir)


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    return free_port(socket.SOCK_DGRAM)


class BotServer:
    """`hotline serve` in a subprocess, as an operator would run it, on loopback only."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sip_port = free_udp_port()
        self.prefix = env.get("HOTLINE_REDIS__KEY_PREFIX", f"hotline-test-{uuid.uuid4().hex[:8]}")
        self.log_path = workdir / "serve.log"
        self.env = {
            **os.environ,
            "HOTLINE_HTTP__HOST": "127.0.0.1",
            "HOTLINE_HTTP__PORT": str(self.port),
            "HOTLINE_WEBRTC__HOST_ADDRESSES": '["127.0.0.1"]',
            "HOTLINE_SIP__HOST": "127.0.0.1",
            "HOTLINE_SIP__PORT": str(self.sip_port),
            "HOTLINE_REDIS__KEY_PREFIX": self.prefix,
            "HOTLINE_CALLS__RECORDINGS_DIR": str(workdir / "recordings"),
            **env,
        }
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited early:\n{self.log_path.read_text()[-3000:]}")
            try:
                health = httpx.get(f"{self.url}/healthz", timeout=1)
                # Wait for the prompt cache too, so timing tests do not race its warm-up.
                if health.status_code == 200 and health.json()["prompts_cached"]:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"bot not ready after {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def bot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    server = BotServer(tmp_path_factory.mktemp("bot"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
