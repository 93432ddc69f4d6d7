"""Real SIP peers on loopback for the tests: sipp scenarios and an RTP capture with tcpdump."""

from __future__ import annotations

import asyncio
import signal
import socket
import string
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from telephony.admission import Admission
from telephony.call import SipCall
from telephony.digest import DigestGuard
from telephony.endpoint import SipEndpoint
from telephony.g711 import ulaw_encode
from telephony.rtp_stream import RtpPorts
from tests.conftest import free_udp_port
from tests.support.pcap import RtpPacket, rtp_packets

SCENARIOS = Path(__file__).resolve().parent.parent / "sipp"
DTMF_PCAPS = Path("/usr/share/sip-tester")
# Always on loopback, never waiting on a terminal, never hanging (DESIGN.md).
SIPP_BASE = [
    "sipp",
    "-i",
    "127.0.0.1",
    "-mi",
    "127.0.0.1",
    "-nostdin",
    "-timeout_error",
    "-trace_err",
]


def write_ulaw(wav: Path, out: Path) -> Path:
    """Headerless 8 kHz µ-law, as sipp's rtp_stream plays it."""
    samples, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    mono = soxr.resample(samples[:, 0], rate, 8000, quality="HQ")
    out.write_bytes(ulaw_encode((np.clip(mono, -1, 1) * 32767).astype(np.int16)))
    return out


def stream_ulaw(path: Path) -> str:
    """Scenario XML that starts streaming a µ-law file as RTP (PCMU)."""
    return f'<nop><action><exec rtp_stream="{path},1,0"/></action></nop>'


def play_pcap(path: Path) -> str:
    """Scenario XML that replays the RTP of a capture (sipp's RFC 2833 digit files)."""
    return f'<nop><action><exec play_pcap_audio="{path}"/></action></nop>'


def scenario(name: str, workdir: Path, **values: object) -> Path:
    """tests/sipp/NAME.xml with its $placeholders filled in, written into workdir; `media`
    (scenario XML that plays audio) is empty unless given."""
    template = string.Template((SCENARIOS / f"{name}.xml").read_text())
    text = template.substitute({"media": "", **values})
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

    def count(self, row: str) -> int:
        """A cumulative figure of sipp's final statistics screen ("Successful call", …)."""
        lines = [line for line in self.output.splitlines() if line.strip().startswith(row)]
        return int(lines[-1].split("|")[-1].split()[0]) if lines else 0


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
    except asyncio.CancelledError:  # the test is done with this peer: reap it
        process.kill()
        await process.wait()
        raise
    errors = "".join(path.read_text() for path in workdir.glob("*_errors.log"))
    return SippResult(process.returncode or 0, output.decode(errors="replace")[-3000:] + errors)


async def call_once(
    scenario_file: Path,
    port: int,
    *,
    timeout_s: float,
    workdir: Path,
    media_port: int | None = None,
) -> SippResult:
    """One sipp call from `scenario_file` to 127.0.0.1:`port`, its RTP on `media_port`
    (default: any free port)."""
    return await run_sipp(
        scenario_file,
        "-m",
        "1",
        "-mp",
        str(media_port or free_udp_port()),
        f"127.0.0.1:{port}",
        timeout_s=timeout_s,
        workdir=workdir,
    )


class RtpCapture:
    """tcpdump on lo (UDP to `port`, or any BPF `expression`), started before the call and
    read afterwards."""

    def __init__(self, path: Path, port: int | None = None, expression: str = "") -> None:
        self.path = path
        self.expression = expression or f"udp and dst port {port}"
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
                self.expression,
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


Answered = list[SipCall]


def hold_calls(endpoint: SipEndpoint) -> Answered:
    """Answered calls just stay up (no pipeline) until the caller hangs up."""
    answered: Answered = []

    async def on_call(call: SipCall) -> None:
        answered.append(call)
        await call.ended.wait()

    endpoint.on_call = on_call
    return answered


def sipp_caller(
    endpoint: SipEndpoint,
    workdir: Path,
    name: str = "caller",
    *args: str,
    listen_ms: int = 2000,
    timeout_s: float = 30,
) -> Callable[[], Awaitable[SippResult]]:
    """A sipp caller (tests/sipp/NAME.xml) of `endpoint`, started each time it is called."""
    xml = scenario(name, workdir, caller="13900000002", lead_ms=200, listen_ms=listen_ms, media="")
    return lambda: run_sipp(
        xml,
        "-m",
        "1",
        "-mp",
        str(free_udp_port()),
        *args,
        f"127.0.0.1:{endpoint.port}",
        timeout_s=timeout_s,
        workdir=workdir,
    )


async def all_released(endpoint: SipEndpoint, timeout_s: float = 10) -> None:
    """Wait until no call is up or being answered and every RTP port is back."""
    deadline = time.monotonic() + timeout_s
    while endpoint.active_calls or endpoint.ports.in_use:
        assert time.monotonic() < deadline, (endpoint.active_calls, endpoint.ports.in_use)
        await asyncio.sleep(0.05)


async def started_endpoint(
    *,
    max_calls: int = 4,
    invites_per_second: float = 20,
    allowlist: tuple[str, ...] = (),
    users: dict[str, str] | None = None,
) -> SipEndpoint:
    """The bot's SIP endpoint alone (no pipeline), listening on a free loopback port."""
    endpoint = SipEndpoint(
        host="127.0.0.1",
        port=free_udp_port(),
        advertised_host="127.0.0.1",
        ports=RtpPorts(23000, 23200),
        admission=Admission(list(allowlist), max_calls, invites_per_second),
        digest=DigestGuard("hotline", users or {}),
    )
    await endpoint.start()
    return endpoint


def raw_request(method: str, port: int, call_id: str, *, sdp: str = "", extra: str = "") -> bytes:
    """A SIP request as a phone would put it on the wire (for tests of single messages)."""
    body = sdp.replace("\n", "\r\n")
    return (
        f"{method} sip:12345@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{{local_port}};branch=z9hG4bK{call_id}{method}\r\n"
        f"From: <sip:13900000001@127.0.0.1>;tag={call_id}\r\n"
        f"To: <sip:12345@127.0.0.1:{port}>\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: 1 {method}\r\n"
        f"Contact: <sip:13900000001@127.0.0.1:{{local_port}}>\r\n"
        f"Max-Forwards: 70\r\n{extra}"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body.encode())}\r\n\r\n{body}"
    ).encode()


OFFER = """v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 49170 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
"""


def header(message: str, name: str) -> str:
    """The first `name:` header of a SIP message's text ("" when it has none)."""
    for line in message.split("\r\n\r\n")[0].splitlines()[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return ""


def in_dialog(answer: str, method: str, cseq: int, local_port: int) -> bytes:
    """ACK or BYE in the dialog a 2xx (`answer`) set up; the branch starts with the Call-ID,
    so `RawSipPeer.final_response(call_id, method)` finds the answer to it."""
    call_id = header(answer, "Call-ID")
    contact = header(answer, "Contact").strip("<>")
    return (
        f"{method} {contact} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{call_id}{method}{cseq}\r\n"
        f"From: {header(answer, 'From')}\r\nTo: {header(answer, 'To')}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def hang_up(peer: RawSipPeer, port: int, answers: list[str]) -> None:
    """ACK and BYE for every dialog the 2xx in `answers` set up."""
    dialogs = {header(text, "Call-ID"): text for text in answers}
    for answer in dialogs.values():
        peer.send(in_dialog(answer, "ACK", 1, peer.port), port)
        peer.send(in_dialog(answer, "BYE", 2, peer.port), port)


class RawSipPeer:
    """A UDP socket that sends single SIP messages and reads the responses."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.received: list[str] = []

    def send(self, data: bytes, port: int) -> None:
        self.sock.sendto(
            data.replace(b"{local_port}", str(self.port).encode()), ("127.0.0.1", port)
        )

    def _read(self, deadline: float) -> None:
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            data, _ = self.sock.recvfrom(65535)
        except TimeoutError:
            return
        self.received.append(data.decode(errors="replace"))

    def responses(self, call_id: str, method: str = "") -> list[str]:
        """What arrived so far for requests whose branch starts with `call_id` (and whose
        CSeq names `method`), oldest first."""
        self.sock.settimeout(0)
        while True:
            try:
                data, _ = self.sock.recvfrom(65535)
            except BlockingIOError:
                break
            self.received.append(data.decode(errors="replace"))
        return [
            text
            for text in self.received
            if f"branch=z9hG4bK{call_id}" in text and header(text, "CSeq").endswith(method)
        ]

    def final_response(self, call_id: str, method: str = "", timeout_s: float = 3) -> str:
        """The final (≥ 200) response to the request `raw_request` built with `call_id` (and
        whose CSeq names `method`); TimeoutError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for text in self.received:
                if (
                    f"branch=z9hG4bK{call_id}" in text
                    and not text.startswith("SIP/2.0 1")
                    and header(text, "CSeq").endswith(method)
                ):
                    self.received.remove(text)
                    return text
            self._read(deadline)
        raise TimeoutError(f"no final response for {call_id} {method}")

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawSipPeer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


BARESIP_CONFIG = """poll_method epoll
sip_listen 127.0.0.1:{sip_port}
audio_source aufile,{microphone}
audio_player aufile,{workdir}/player.wav
audio_alert aufile,{workdir}/alert.wav
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module sndfile.so
module_app account.so
module_app menu.so
snd_path {workdir}
rtp_ports {rtp_first}-{rtp_last}
"""


async def baresip_call(uri: str, microphone: Path, workdir: Path, timeout_s: float) -> Path:
    """baresip dials `uri` with a WAV as its microphone (it hangs up when the WAV ends) and
    returns the WAV of what it heard (sndfile's decoder-side dump)."""
    rtp = free_udp_port()
    (workdir / "config").write_text(
        BARESIP_CONFIG.format(
            sip_port=free_udp_port(),
            microphone=microphone,
            workdir=workdir,
            rtp_first=rtp,
            rtp_last=rtp + 20,
        )
    )
    (workdir / "accounts").write_text("<sip:13900000004@127.0.0.1>;regint=0;audio_codecs=PCMU\n")
    process = await asyncio.create_subprocess_exec(
        "baresip",
        "-f",
        str(workdir),
        "-n",
        "127.0.0.1",
        "-e",
        f"/dial {uri}",
        "-t",
        str(int(timeout_s)),
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout_s + 10)
    heard = sorted(workdir.glob("dump-*-dec.wav"))
    if not heard:
        raise AssertionError(f"baresip recorded nothing:\n{output.decode()[-2000:]}")
    return heard[-1]


KAMAILIO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "kamailio" / "kamailio.cfg"


class Kamailio:
    """The shipped config/kamailio/kamailio.cfg, dispatching to the given SIP ports."""

    def __init__(self, workdir: Path, worker_ports: list[int]) -> None:
        self.port = free_udp_port()
        self.workdir = workdir
        self.log_path = workdir / "kamailio.log"
        dispatcher = workdir / "dispatcher.list"
        dispatcher.write_text("".join(f"1 sip:127.0.0.1:{port}\n" for port in worker_ports))
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                "kamailio",
                "-DD",
                "-E",
                "-f",
                str(KAMAILIO_CONFIG),
                "-A",
                f"LISTEN=udp:127.0.0.1:{self.port}",
                "-A",
                f'DS_LIST="{dispatcher}"',
                "-Y",
                str(workdir),
                "-w",
                str(workdir),
                "-P",
                str(workdir / "kamailio.pid"),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def routed(self) -> list[str]:
        """The worker each INVITE went to (from Kamailio's log), in order."""
        return [
            line.rsplit("sip:", 1)[1].strip()
            for line in self.log_path.read_text().splitlines()
            if "INVITE" in line and "-> sip:" in line
        ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


class SippCallee:
    """A sipp UAS (tests/sipp/NAME.xml) answering `calls` calls in the background."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        *,
        calls: int = 1,
        port: int | None = None,
        timeout_s: float = 120,
        **values: object,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_udp_port()
        self.media_port = free_udp_port()
        self.uri = f"sip:1390000{self.port}@127.0.0.1:{self.port}"
        self.task = asyncio.create_task(
            run_sipp(
                scenario(name, workdir, **values),
                "-m",
                str(calls),
                "-p",
                str(self.port),
                "-mp",
                str(self.media_port),
                timeout_s=timeout_s,
                workdir=workdir,
            )
        )

    async def __aenter__(self) -> SippCallee:
        await asyncio.sleep(0.5)  # sipp binds its port within a few ms
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def result(self, timeout_s: float = 135) -> SippResult:
        return await asyncio.wait_for(self.task, timeout_s)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
