"""A throwaway redis-server on a loopback port of its own, which a test may stop and start."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tests.conftest import free_port


class PrivateRedis:
    """A throwaway redis-server on a loopback port of its own, which the test may stop."""

    def __init__(self, workdir: Path, *, append_only: bool = False) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.append_only = append_only
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "yes" if self.append_only else "no",
                "--appendfsync",
                "always",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
