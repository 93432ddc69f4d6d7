"""The SIP endpoint under hostile, broken or excessive traffic, and mid-call re-INVITEs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.sip_peers import (
    OFFER,
    RawSipPeer,
    all_released,
    hang_up,
    header,
    hold_calls,
    in_dialog,
    raw_request,
    sipp_caller,
    started_endpoint,
)


@pytest.fixture
async def peer() -> AsyncIterator[RawSipPeer]:
    raw = RawSipPeer()
    yield raw
    raw.close()


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


async def test_invite_retransmissions_make_one_call(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint()
    answered = hold_calls(endpoint)
    invite = raw_request("INVITE", endpoint.port, "again", sdp=OFFER)
    try:
        peer.send(invite, endpoint.port)
        peer.send(invite, endpoint.port)  # retransmitted before any final response
        ok = await asyncio.to_thread(peer.final_response, "again", "INVITE")
        assert ok.startswith("SIP/2.0 200")
        for stage in ("before the ACK", "after the ACK"):
            peer.send(invite, endpoint.port)  # absorbed: the same 200 again, not 481
            again = await asyncio.to_thread(peer.final_response, "again", "INVITE")
            assert again.startswith("SIP/2.0 200"), stage
            assert header(again, "To") == header(ok, "To"), stage
            peer.send(in_dialog(ok, "ACK", 1, peer.port), endpoint.port)
        peer.send(in_dialog(ok, "BYE", 2, peer.port), endpoint.port)
        bye = await asyncio.to_thread(peer.final_response, "again", "BYE")
        assert bye.startswith("SIP/2.0 200")  # the one call's BYE ends it
        await all_released(endpoint)
        assert len(answered) == 1 and answered[0].end_reason == "caller hung up"
        statuses = {text.split()[1] for text in peer.responses("again")}
        assert "481" not in statuses, statuses
    finally:
        await endpoint.stop()


@pytest.mark.parametrize(
    ("line", "unreadable"),
    [
        ("m=audio 49170 RTP/AVP 0 101", "m=audio 4917a RTP/AVP 0 101"),
        ("m=audio 49170 RTP/AVP 0 101", "m=audio 49170 RTP/AVP PCMU 101"),
        ("a=rtpmap:0 PCMU/8000", "a=rtpmap:0 PCMU"),
        ("t=0 0", "b=AS:fast\nt=0 0"),
    ],
)
async def test_unreadable_offer_gets_trying_then_488(
    peer: RawSipPeer, line: str, unreadable: str
) -> None:
    endpoint = await started_endpoint()
    try:
        offer = OFFER.replace(line, unreadable)
        peer.send(raw_request("INVITE", endpoint.port, "bad-sdp", sdp=offer), endpoint.port)
        refused = await asyncio.to_thread(peer.final_response, "bad-sdp", "INVITE")
        assert refused.startswith("SIP/2.0 488") and header(refused, "Warning")
        assert peer.responses("bad-sdp")[0].startswith("SIP/2.0 100 Trying")
        await all_released(endpoint)
    finally:
        await endpoint.stop()


async def test_offer_with_a_port_count_is_answered(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint()
    answered = hold_calls(endpoint)
    try:
        offer = OFFER.replace("m=audio 49170 RTP/AVP", "m=audio 49170/2 RTP/AVP")
        peer.send(raw_request("INVITE", endpoint.port, "ports", sdp=offer), endpoint.port)
        ok = await asyncio.to_thread(peer.final_response, "ports", "INVITE")
        assert ok.startswith("SIP/2.0 200")
        assert answered[0].rtp.media.remote == ("127.0.0.1", 49170)
        hang_up(peer, endpoint.port, [ok])
        assert (await asyncio.to_thread(peer.final_response, "ports", "BYE")).startswith(
            "SIP/2.0 200"
        )
    finally:
        await endpoint.stop()


async def test_record_route_is_echoed_into_the_answer(peer: RawSipPeer) -> None:
    endpoint = await started_endpoint()
    hold_calls(endpoint)
    routes = "Record-Route: <sip:127.0.0.1:5070;lr>\r\nRecord-Route: <sip:10.0.0.1;lr>\r\n"
    try:
        invite = raw_request("INVITE", endpoint.port, "routed", sdp=OFFER, extra=routes)
        peer.send(invite, endpoint.port)
        ok = await asyncio.to_thread(peer.final_response, "routed", "INVITE")
        assert ok.startswith("SIP/2.0 200")
        echoed = [line for line in ok.splitlines() if line.startswith("Record-Route:")]
        assert echoed == routes.strip().split("\r\n")  # in order (RFC 3261 §12.1.1)
        hang_up(peer, endpoint.port, [ok])
        await all_released(endpoint)
    finally:
        await endpoint.stop()
