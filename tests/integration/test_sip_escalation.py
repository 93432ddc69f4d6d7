"""A caller asks for a person over SIP: the bot hands the call to the agent queue (bridging
when the trunk refuses REFER), or, when no agent answers, opens a callback work order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from telephony.g711 import ulaw_decode
from tests.conftest import BotServer, free_udp_port, running_bot
from tests.support.calls import wait_for_caller
from tests.support.sip_peers import (
    DTMF_PCAPS,
    RtpCapture,
    SippCallee,
    call_once,
    play_pcap,
    scenario,
    stream_ulaw,
    write_ulaw,
)
from tests.support.speech import speak, write_wav

AGENT_PORT = free_udp_port()


@pytest.fixture(scope="module")
def escalating_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    with running_bot(
        tmp_path_factory.mktemp("escalation"),
        HOTLINE_SIP__AGENT_QUEUES=f'{{"default": "sip:8001@127.0.0.1:{AGENT_PORT}"}}',
        HOTLINE_SIP__RING_TIMEOUT_S="5",
    ) as server:
        yield server


def loud(payload: bytes) -> bool:
    """A µ-law packet with speech in it, not silence."""
    return float(np.sqrt(np.mean(ulaw_decode(payload).astype(np.float64) ** 2))) > 300


def words(text: str, path: Path) -> Path:
    return write_ulaw(write_wav(path.with_suffix(".wav"), speak(text, 8000), 8000), path)


async def escalate(
    bot: BotServer, workdir: Path, caller: str, agent_scenario: str, **agent: object
) -> tuple[dict[str, Any], RtpCapture, RtpCapture]:
    """The caller presses 0 for a person (RFC 4733), refuses REFER, talks on; the agent is
    `agent_scenario`. Returns the call record and what the agent and the caller received."""
    workdir.mkdir()
    talk = words("你好，我家楼下的工地晚上一直施工，很吵", workdir / "talk.ul")
    caller_xml = scenario(
        "caller_escalates",
        workdir,
        caller=caller,
        agent="8001",
        lead_ms=1500,
        request=play_pcap(DTMF_PCAPS / "dtmf_2833_0.pcap"),
        media=stream_ulaw(talk),
    )
    agent_leg = SippCallee(agent_scenario, workdir / "agent", port=AGENT_PORT, **agent)
    caller_media = free_udp_port()
    with (
        RtpCapture(workdir / "agent.pcap", agent_leg.media_port) as capture,
        RtpCapture(workdir / "caller.pcap", caller_media) as caller_capture,
    ):
        async with agent_leg:
            caller_result = await call_once(
                caller_xml,
                bot.sip_port,
                timeout_s=60,
                workdir=workdir,
                media_port=caller_media,
            )
            agent_result = await agent_leg.result()
    assert caller_result.ok, caller_result.output
    assert agent_result.ok, agent_result.output
    call = await wait_for_caller(
        bot, caller, lambda c: any(e["type"] == "transferred" for e in c["events"]), 20
    )
    return call, capture, caller_capture


async def test_agent_gets_the_caller_when_refer_is_refused(
    escalating_bot: BotServer, tmp_path: Path
) -> None:
    call, capture, _ = await escalate(
        escalating_bot, tmp_path / "bridge", "13900000031", "callee_listens", listen_ms=8000
    )
    transferred = next(e for e in call["events"] if e["type"] == "transferred")
    assert transferred["reason"] == "caller_request"
    assert transferred["outcome"] == "bridged"
    assert transferred["agent"] == f"sip:8001@127.0.0.1:{AGENT_PORT}"
    async with escalating_bot.api() as client:
        context = (await client.get(f"/api/calls/{call['id']}/handover")).json()
    assert context["reason"] == "caller_request" and context["caller"] == "13900000031"
    assert "转人工原因：市民要求转人工" in context["summary"]
    assert context["transcript"][0]["bot"].startswith("您好")
    # The agent leg heard the caller (the agent answered PCMU).
    heard = ulaw_decode(b"".join(p.payload for p in capture.packets())).astype(np.float64)
    assert np.sqrt(np.mean(heard**2)) > 300


async def test_no_agent_means_a_callback_ticket(escalating_bot: BotServer, tmp_path: Path) -> None:
    call, _, heard = await escalate(
        escalating_bot, tmp_path / "nobody", "13900000032", "callee_no_answer"
    )
    transferred = next(e for e in call["events"] if e["type"] == "transferred")
    assert transferred["outcome"] == "failed"
    # While the agent's phone rang (5 s) the caller was never left in silence for long: the
    # hold prompt came again every few seconds.
    asked = next(e for e in call["events"] if e["type"] == "transfer")["at"]
    spoken = [
        packet.time
        for packet in heard.packets()
        if asked <= packet.time <= transferred["at"] and loud(packet.payload)
    ]
    assert spoken, "the caller heard nothing while the agent's phone rang"
    gaps = np.diff([*spoken, transferred["at"]])
    assert gaps.max() < 3.5, f"{gaps.max():.1f} s of silence while waiting for an agent"
    call = await wait_for_caller(
        escalating_bot,
        "13900000032",
        lambda c: any(e["type"] == "ticket_created" for e in c["events"]),
        30,
    )
    ticket = next(e for e in call["events"] if e["type"] == "ticket_created")["ticket"]
    assert ticket["contact_phone"] == "13900000032"
    assert "转人工未接通" in ticket["description"]
    said = "".join(turn["bot_text"] or "" for turn in call["turns"])
    assert "登记回电" in said and "工单号" in said
    async with escalating_bot.api() as client:
        stored = (await client.get(f"/api/tickets/{ticket['number']}")).json()
    assert stored["contact_phone"] == "13900000032"
