"""Real SIP peers on loopback for the tests: sipp scenarios and an RTP capture with tcpdump."""

from __future__ import annotations

import asyncio
import signal
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from telephony.g711 import ulaw_encode
from tests.support.pcap import RtpPacket, rtp_packets

SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
DTMF_PCAPS = Path("/usr/share/sip-tester")
# Always on loopback, never waiting on a terminal, never hanging (DESIGN.md).
SIPP_BASE = ["sipp", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-timeout_error"]


def write_ulaw(wav: Path, out: Path) -> Path:
    """Headerless 8 kHz µ-law, as sipp's rtp_stream plays it."""
    samples, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    mono = soxr.resample(samples[:, 0], rate, 8000, quality="HQ")
    out.write_bytes(ulaw_encode((np.clip(mono, -1, 1) * 32767).astype(np.int16)))
    return out


def scenario(name: str, workdir: Path, **values: object) -> Path:
    """tests/sipp/NAME.xml with its $placeholders filled in, written into workdir."""
    text = string.Template((SCENARIOS / f"{name}.xml").read_text()).substitute(values)
    path = workdir / f"{name}.xml"
    path.write_text(text)
    return path


@dataclass
class SippResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


async def run_sipp(
    scenario_file: Path,
    *args: str,
    timeout_s: float,
    workdir: Path,
) -> SippResult:
    """Run sipp to completion (bounded by -timeout and our own deadline)."""
    process = await asyncio.create_subprocess_exec(
        *SIPP_BASE,
        "-timeout",
        str(int(timeout_s)),
        "-sf",
        str(scenario_file),
        *args,
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout_s + 15)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
    errors = "".join(path.read_text() for path in workdir.glob("*_errors.log"))
    return SippResult(process.returncode or 0, output.decode(errors="replace")[-3000:] + errors)


class RtpCapture:
    """tcpdump on lo for UDP to one port, started before the call and read afterwards."""

    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RtpCapture:
        self._process = subprocess.Popen(
            [
                "tcpdump",
                "-i",
                "lo",
                "-n",
                "-U",
                "--immediate-mode",
                "-w",
                str(self.path),
                f"udp and dst port {self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self._process.stderr is not None
        line = self._process.stderr.readline().decode()  # "listening on lo, …" once it captures
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start: {line}")
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        self._process.wait(timeout=10)

    def packets(self) -> list[RtpPacket]:
        return rtp_packets(self.path)
