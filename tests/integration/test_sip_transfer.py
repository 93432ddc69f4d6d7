"""Handing a call to a person: blind transfer (REFER + NOTIFY), and the bridge when the far
end refuses REFER."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import numpy as np
import pytest

from telephony.call import SipCall
from telephony.endpoint import TransferOutcome
from telephony.g711 import alaw_decode
from tests.conftest import free_udp_port
from tests.support.sip_peers import (
    RtpCapture,
    SippCallee,
    call_once,
    scenario,
    started_endpoint,
    stream_ulaw,
    write_ulaw,
)
from tests.support.speech import speak, write_wav

AGENT = "8001"


async def test_blind_transfer_with_refer(tmp_path: Path) -> None:
    endpoint = await started_endpoint()
    outcomes: list[TransferOutcome] = []

    async def on_call(call: SipCall) -> None:
        outcomes.append(
            await endpoint.transfer(call, f"sip:{AGENT}@127.0.0.1:5999", proxy=("127.0.0.1", 5999))
        )

    endpoint.on_call = on_call
    xml = scenario(
        "caller_refer_accept",
        tmp_path,
        caller="13900000005",
        agent=AGENT,
        sipfrag="200 OK",
        state="terminated;reason=noresource",
        lead_ms=0,
        listen_ms=0,
        media="",
    )
    try:
        result = await call_once(
            xml,
            endpoint.port,
            timeout_s=20,
            workdir=tmp_path,
        )
        # REFER named the agent, the NOTIFY's 200 was taken as success, and the bot hung up.
        assert result.ok, result.output
        assert outcomes == [TransferOutcome.REFERRED]
    finally:
        await endpoint.stop()


@pytest.mark.parametrize(
    ("sipfrag", "state", "status"),
    [
        ("486 Busy Here", "terminated;reason=noresource", 486),
        ("480 Temporarily Unavailable", "terminated;reason=noresource", 480),
        ("180 Ringing", "active;expires=60", 408),  # no final word within the ring timeout
    ],
)
async def test_transfer_failing_at_the_target_is_not_dialled_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sipfrag: str, state: str, status: int
) -> None:
    endpoint = await started_endpoint()
    agent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the agent's phone: never rung
    agent.bind(("127.0.0.1", 0))
    agent.setblocking(False)
    agent_port = agent.getsockname()[1]
    outcomes: list[TransferOutcome] = []

    async def on_call(call: SipCall) -> None:
        outcomes.append(
            await endpoint.transfer(
                call,
                f"sip:{AGENT}@127.0.0.1:{agent_port}",
                proxy=("127.0.0.1", agent_port),
                ring_timeout_s=2,
            )
        )
        await call.hangup()

    endpoint.on_call = on_call
    xml = scenario(
        "caller_refer_accept",
        tmp_path,
        caller="13900000008",
        agent=AGENT,
        sipfrag=sipfrag,
        state=state,
        lead_ms=0,
        listen_ms=0,
        media="",
    )
    caplog.set_level(logging.INFO, logger="telephony.endpoint")
    try:
        result = await call_once(xml, endpoint.port, timeout_s=20, workdir=tmp_path)
        assert result.ok, result.output
        assert outcomes == [TransferOutcome.FAILED]
        with pytest.raises(BlockingIOError):
            agent.recv(2048)  # no INVITE to the agent who just failed
        logged = [record.getMessage() for record in caplog.records]
        assert any(f"failed at the target: {status}" in line for line in logged), logged
        assert not any("REFER refused" in line for line in logged)
    finally:
        agent.close()
        await endpoint.stop()


async def test_refused_refer_falls_back_to_a_bridge(tmp_path: Path) -> None:
    endpoint = await started_endpoint()
    agent_dir, caller_dir = tmp_path / "agent", tmp_path / "caller"
    agent_dir.mkdir()
    caller_dir.mkdir()
    agent_port = free_udp_port()
    outcomes: list[TransferOutcome] = []

    async def on_call(call: SipCall) -> None:
        outcomes.append(
            await endpoint.transfer(
                call, f"sip:{AGENT}@127.0.0.1:{agent_port}", proxy=("127.0.0.1", agent_port)
            )
        )

    endpoint.on_call = on_call
    words = write_ulaw(
        write_wav(caller_dir / "words.wav", speak("我要找人工客服", 8000), 8000),
        caller_dir / "words.ul",
    )
    caller_xml = scenario(
        "caller_refer_decline",
        caller_dir,
        caller="13900000006",
        agent=AGENT,
        lead_ms=500,
        listen_ms=3000,
        media=stream_ulaw(words),
    )
    agent = SippCallee("callee_answer", agent_dir, port=agent_port, timeout_s=30)
    try:
        with RtpCapture(tmp_path / "agent.pcap", agent.media_port) as capture:
            async with agent:
                caller = await call_once(
                    caller_xml,
                    endpoint.port,
                    timeout_s=30,
                    workdir=caller_dir,
                )
                agent_result = await agent.result()
        assert outcomes == [TransferOutcome.BRIDGED]
        assert caller.ok, caller.output
        assert agent_result.ok, agent_result.output  # answered, then BYE when the caller left
        # The caller's words reached the agent, transcoded from PCMU to the agent's PCMA.
        heard = alaw_decode(b"".join(p.payload for p in capture.packets())).astype(np.float64)
        assert np.sqrt(np.mean(heard**2)) > 300
    finally:
        await endpoint.stop()
