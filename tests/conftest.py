"""Shared fixtures: the real settings, models, caller speech and a running bot server."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.access.passwords import hash_password, token_digest
from bot.config import Settings, load_settings
from bot.webrtc.ice import use_host_addresses

pytest_plugins = ["tests.support.loopback_http"]  # the `serve` fixture

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
    """`hotline serve` in a subprocess, as an operator would run it, on loopback only; with
    an admin API token (`api()`, `get()`) and console users `supervisor` and `designer`."""

    def __init__(self, workdir: Path, token: str | None = None, **env: str) -> None:
        """`token`: the admin API token (another worker's, for two of one deployment)."""
        token = token or secrets.token_urlsafe(16)
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.passwords = {role: secrets.token_urlsafe(8) for role in ("supervisor", "designer")}
        users = {
            role: {"password_hash": hash_password(password, iterations=1000), "role": role}
            for role, password in self.passwords.items()
        }
        tokens = {"tests": {"token_sha256": token_digest(token), "role": "admin"}}
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
            "HOTLINE_AUTH__USERS": json.dumps(users),
            "HOTLINE_AUTH__TOKENS": json.dumps(tokens),
            **env,
        }
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def api(self, timeout: float = 5) -> httpx.AsyncClient:
        """A client of the bot's API with the admin token."""
        return httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=timeout)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self.headers, **kwargs)  # type: ignore[arg-type]

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


@contextmanager
def running_bot(workdir: Path, **env: str) -> Iterator[BotServer]:
    """A `hotline serve` that is ready for calls, stopped when the block ends."""
    server = BotServer(workdir, **env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    with running_bot(tmp_path_factory.mktemp("bot")) as server:
        yield server
