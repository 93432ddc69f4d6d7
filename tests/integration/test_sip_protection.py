"""The SIP endpoint under hostile, broken or excessive traffic, and mid-call re-INVITEs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from telephony.call import SipCall
from telephony.endpoint import SipEndpoint
from tests.conftest import free_udp_port
from tests.support.sip_peers import (
    OFFER,
    RawSipPeer,
    SippResult,
    raw_request,
    run_sipp,
    scenario,
    started_endpoint,
)

Answered = list[SipCall]


def hold_calls(endpoint: SipEndpoint) -> Answered:
    """Answered calls just stay up (no pipeline) until the caller hangs up."""
    answered: Answered = []

    async def on_call(call: SipCall) -> None:
        answered.append(call)
        await call.ended.wait()

    endpoint.on_call = on_call
    return answered


@pytest.fixture
async def peer() -> AsyncIterator[RawSipPeer]:
    raw = RawSipPeer()
    yield raw
    raw.close()


def sipp_caller(
    endpoint: SipEndpoint,
    workdir: Path,
    name: str = "caller",
    *args: str,
    listen_ms: int = 2000,
    timeout_s: float = 30,
) -> Callable[[], Awaitable[SippResult]]:
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


async def test_options_keepalive_is_answered(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint()
    try:
        call_id = uuid.uuid4().hex
        peer.send(raw_request("OPTIONS", endpoint.port, call_id), endpoint.port)
        response = await asyncio.to_thread(peer.final_response, call_id)
        assert response.startswith("SIP/2.0 200 OK")
        assert "INVITE" in response and "BYE" in response  # Allow:
    finally:
        await endpoint.stop()


async def test_malformed_messages_never_disturb_a_call(peer: RawSipPeer, tmp_path: Path) -> None:
    endpoint = await started_endpoint()
    answered = hold_calls(endpoint)
    try:
        call = asyncio.create_task(sipp_caller(endpoint, tmp_path, listen_ms=3000)())
        while not answered:
            await asyncio.sleep(0.05)
        junk = [
            b"\x00\xff garbage \r\n\r\n",
            b"INVITE sip:x SIP/2.0\r\n\r\n",  # no Via: nowhere to answer, dropped
            b"SIP/2.0 200 OK\r\nCSeq: nonsense\r\n\r\n",
            raw_request("INVITE", endpoint.port, "broken-sdp", sdp="v=0\nm=audio nope\n"),
            raw_request("INVITE", endpoint.port, "huge", extra="Content-Length: 99999999\r\n"),
        ]
        for datagram in junk:
            peer.send(datagram, endpoint.port)
        # A request with a Via but without its Call-ID gets a 400.
        missing = raw_request("INVITE", endpoint.port, "x", sdp=OFFER).replace(
            b"Call-ID: x\r\n", b""
        )
        peer.send(missing, endpoint.port)
        assert (await asyncio.to_thread(peer.final_response, "x")).startswith("SIP/2.0 400")
        # An offer without usable audio is declined, not left unanswered.
        assert (await asyncio.to_thread(peer.final_response, "broken-sdp")).startswith(
            "SIP/2.0 488"
        )
        assert (await call).ok  # the real call went on and ended normally
        assert answered[0].end_reason == "caller hung up"
        peer.send(raw_request("OPTIONS", endpoint.port, "alive"), endpoint.port)
        assert (await asyncio.to_thread(peer.final_response, "alive")).startswith("SIP/2.0 200")
    finally:
        await endpoint.stop()


async def test_calls_over_capacity_get_busy_here(peer: RawSipPeer, tmp_path: Path) -> None:
    endpoint = await started_endpoint(max_calls=1)
    answered = hold_calls(endpoint)
    try:
        call = asyncio.create_task(sipp_caller(endpoint, tmp_path)())
        while not answered:
            await asyncio.sleep(0.05)
        peer.send(raw_request("INVITE", endpoint.port, "second", sdp=OFFER), endpoint.port)
        assert (await asyncio.to_thread(peer.final_response, "second")).startswith("SIP/2.0 486")
        assert (await call).ok
    finally:
        await endpoint.stop()


async def test_invite_flood_is_throttled(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint(invites_per_second=2, max_calls=50)
    try:
        for n in range(8):
            peer.send(raw_request("INVITE", endpoint.port, f"flood{n}", sdp=OFFER), endpoint.port)
        finals = [await asyncio.to_thread(peer.final_response, f"flood{n}") for n in range(8)]
        throttled = [text for text in finals if text.startswith("SIP/2.0 503")]
        assert 4 <= len(throttled) <= 6, [text.splitlines()[0] for text in finals]
        assert all("Retry-After:" in text for text in throttled)
    finally:
        await endpoint.stop()


async def test_source_outside_the_trunk_allowlist_is_forbidden(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint(allowlist=("10.0.0.0/8",))
    try:
        peer.send(raw_request("INVITE", endpoint.port, "stranger", sdp=OFFER), endpoint.port)
        assert (await asyncio.to_thread(peer.final_response, "stranger")).startswith("SIP/2.0 403")
    finally:
        await endpoint.stop()


async def test_inbound_digest_auth(tmp_path: Path) -> None:
    endpoint = await started_endpoint(users={"pbx": "pw-123"})
    answered = hold_calls(endpoint)
    try:
        good = sipp_caller(endpoint, tmp_path, "caller_auth", "-au", "pbx", "-ap", "pw-123")
        assert (await good()).ok
        assert len(answered) == 1
        bad = sipp_caller(
            endpoint, tmp_path, "caller_auth", "-au", "pbx", "-ap", "guess", timeout_s=5
        )
        assert not (await bad()).ok  # challenged again instead of answered
        assert len(answered) == 1
    finally:
        await endpoint.stop()


async def test_hold_and_resume_keep_the_call(tmp_path: Path) -> None:
    endpoint = await started_endpoint()
    answered = hold_calls(endpoint)
    try:
        result = await sipp_caller(endpoint, tmp_path, "caller_hold", listen_ms=500)()
        assert result.ok, result.output  # each re-INVITE answered with the mirrored direction
        assert answered[0].end_reason == "caller hung up"
        assert not answered[0].rtp.media.on_hold  # resumed
    finally:
        await endpoint.stop()
