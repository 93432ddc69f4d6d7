"""The embedded LLM: llama-cpp-python's OpenAI-compatible server, started and supervised here.

It runs as a child process on loopback so a crash or a slow prompt never takes the bot down;
if it dies it is restarted, and meanwhile understanding falls back to the local rules. A child
that keeps crashing (a llama.cpp compiled for another CPU dies with SIGILL on every request) is
given up after a few tries instead of being restarted in a tight loop.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from loguru import logger

from bot.config import Settings
from bot.model_cache import ASSETS

REBUILD_HINT = "it was compiled for another CPU; rebuild it with `make venv`"
# Instruction sets a portable build (`make venv`) leaves out; llama.cpp reports what it was
# compiled with. A native build on an AVX-512/AMX host crashes where those do not run (SIGILL,
# or SIGSEGV at its first AMX instruction when the VM does not enable the AMX state).
NATIVE_ONLY = ("AVX512", "AMX", "AVX_VNNI")
FEATURES_SCRIPT = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
CPU_FAULTS = (signal.SIGILL, signal.SIGSEGV, signal.SIGBUS)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def native_features(system_info: str) -> list[str]:
    """The instruction sets beyond AVX2 in llama.cpp's system info ("AVX512 = 1 | …")."""
    return [
        name
        for name, enabled in re.findall(r"([A-Z][A-Z0-9_]*) = (\d+)", system_info)
        if enabled != "0" and name.startswith(NATIVE_ONLY)
    ]


def describe_exit(returncode: int, log_path: Path | None = None, native: Sequence[str] = ()) -> str:
    """How a child process ended, for an operator: "died with SIGILL (illegal instruction): …".
    `native`: what llama.cpp was compiled for beyond AVX2, the likely cause of a CPU fault."""
    see_log = f"; see {log_path}" if log_path is not None else ""
    if returncode >= 0:
        return f"exited with status {returncode}{see_log}"
    try:
        sig = signal.Signals(-returncode)
    except ValueError:
        return f"died with signal {-returncode}{see_log}"
    meaning = signal.strsignal(sig) or ""
    died = f"died with {sig.name}" + (f" ({meaning[:1].lower()}{meaning[1:]})" if meaning else "")
    if sig == signal.SIGILL:
        built_for = f" ({', '.join(native)})" if native else ""
        return f"{died}: it was compiled for another CPU{built_for}; rebuild it with `make venv`"
    if sig in CPU_FAULTS and native:
        return (
            f"{died}: this llama.cpp was compiled for {', '.join(native)} (a native build), "
            f"the likely cause; rebuild it with `make venv`{see_log}"
        )
    if sig == signal.SIGKILL:
        return f"{died}: killed from outside, often by the out-of-memory killer{see_log}"
    return f"{died}{see_log}"


@dataclass(frozen=True)
class ServerHealth:
    """The supervisor's view of the child: is it up, how often it came back, why it last ended."""

    running: bool
    restarts: int
    crashes: int
    gave_up: bool
    last_exit: str | None  # describe_exit() of the last unexpected exit; None if none yet

    @property
    def detail(self) -> str:
        if self.running:
            return "running" + (f" (restarted {self.restarts} times)" if self.restarts else "")
        if self.last_exit is None:
            return "not running"
        if self.gave_up:
            return f"{self.last_exit} (not restarted after {self.crashes} crashes)"
        return self.last_exit


class LlamaServerError(RuntimeError):
    """The server could not be started; `reason` is describe_exit() when the child died."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LlamaServer:
    # Restarts stop once the child crashed this often within this window.
    max_crashes = 3
    crash_window_s = 60.0
    poll_s = 1.0

    def __init__(
        self,
        model: Path,
        host: str,
        port: int,
        threads: int,
        context: int,
        log_path: Path,
        command: Sequence[str] | None = None,
    ) -> None:
        """`command` replaces the llama_cpp.server command line (it must serve on `port`)."""
        self.host = host
        self.port = port or free_port(host)
        self._command = (
            list(command)
            if command is not None
            else [
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
        )
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._observed: subprocess.Popen[bytes] | None = None  # whose exit was recorded
        self._stopping = False
        self._crash_times: list[float] = []
        self._crashes = 0
        self._restarts = 0
        self._gave_up = False
        self._last_exit: str | None = None
        self._native: list[str] = []
        self._features: subprocess.Popen[str] | None = None

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

    @property
    def log_path(self) -> Path:
        return self._log_path

    def _spawn(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(self._command, stdout=log, stderr=subprocess.STDOUT)

    def _observe(self) -> int | None:
        """The child's return code once it has exited (its exit is recorded and logged once)."""
        process = self._process
        if process is None or process.poll() is None:
            return None
        if process is not self._observed:
            self._observed = process
            if not self._stopping:
                self._crashes += 1
                self._crash_times.append(time.monotonic())
                self._last_exit = describe_exit(process.returncode, self._log_path, self._native)
                cpu_fault = -process.returncode in CPU_FAULTS and (
                    process.returncode == -signal.SIGILL or bool(self._native)
                )
                log = logger.error if cpu_fault else logger.warning
                log(f"embedded LLM {self._last_exit}")
        return process.returncode

    def health(self) -> ServerHealth:
        self._observe()
        return ServerHealth(
            running=self._process is not None and self._process.poll() is None,
            restarts=self._restarts,
            crashes=self._crashes,
            gave_up=self._gave_up,
            last_exit=self._last_exit,
        )

    def _ask_features(self) -> None:
        """What the installed llama.cpp was compiled for, asked of a separate interpreter (the
        library could crash this one) while the server loads; read by _read_features()."""
        if self._features is None and not self._native:
            self._features = subprocess.Popen(
                [sys.executable, "-c", FEATURES_SCRIPT],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )

    def _read_features(self) -> None:
        if self._features is None:
            return
        try:
            output, _ = self._features.communicate(timeout=30)
            self._native = native_features(output) if self._features.returncode == 0 else []
        except subprocess.TimeoutExpired:
            self._features.kill()
            self._features.communicate()
        self._features = None

    def start(self, timeout_s: float = 120) -> None:
        """Start and wait until it serves (loading 1 GB of weights takes a few seconds)."""
        self._stopping = False
        if self._command[1:3] == ["-m", "llama_cpp.server"]:
            self._ask_features()
        self._spawn()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self._read_features()
                self._observe()
                reason = self._last_exit or describe_exit(self._process.returncode)
                raise LlamaServerError(f"the embedded LLM server {reason}", reason)
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=1).status_code == 200:
                    logger.info(f"embedded LLM serving on {self.url}")
                    self._read_features()
                    if self._native:
                        logger.warning(
                            f"the embedded LLM was compiled for {', '.join(self._native)}: "
                            "a native build, which crashes on CPUs or VMs without one of them; "
                            "`make venv` builds a portable one"
                        )
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        self._read_features()
        reason = f"did not start in {timeout_s:.0f} s; see {self._log_path}"
        raise LlamaServerError(f"the embedded LLM server {reason}", reason)

    async def wait_exit(self, timeout_s: float) -> int | None:
        """The child's return code if it exits within `timeout_s`, else None."""
        deadline = time.monotonic() + timeout_s
        while True:
            returncode = self._observe()
            if returncode is not None or time.monotonic() >= deadline:
                return returncode
            await asyncio.sleep(0.05)

    def supervise(self) -> None:
        """Restart the server whenever it exits (call from a running event loop)."""
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            if self._stopping or self._observe() is None:
                continue
            now = time.monotonic()
            recent = [t for t in self._crash_times if now - t <= self.crash_window_s]
            if len(recent) >= self.max_crashes:
                self._gave_up = True
                logger.error(
                    f"embedded LLM crashed {len(recent)} times within {self.crash_window_s:.0f} s "
                    f"(last: {self._last_exit}); not restarting it, understanding uses the "
                    "local rules"
                )
                return
            logger.warning(
                f"restarting the embedded LLM (crash {len(recent)} of {self.max_crashes})"
            )
            self._spawn()
            self._restarts += 1

    def stop(self) -> None:
        self._stopping = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
