"""The SIP endpoint under RFC 4475-style torture and seeded fuzzing, on the wire: every message
gets the response the RFCs call for, nothing raises, no call or RTP port is left behind, and a
real call completes right after."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from pathlib import Path

import pytest

from tests.support.sip_peers import (
    OFFER,
    RawSipPeer,
    all_released,
    hang_up,
    header,
    hold_calls,
    raw_request,
    sipp_caller,
    started_endpoint,
)
from tests.support.sip_torture import MESSAGES, Torture, mutate

FUZZ_SEED = 4475
FUZZ_COUNT = 300
# Where the torture run writes its response table (message → status), when set.
TABLE = os.environ.get("SIP_TORTURE_TABLE")


def crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Exceptions logged by the SIP stack, aiortp or the event loop."""
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR
    ]


async def alive(peer: RawSipPeer, port: int, probe: str) -> bool:
    """The endpoint answers OPTIONS (and, UDP on loopback being in order, has handled every
    datagram sent before)."""
    peer.send(raw_request("OPTIONS", port, probe), port)
    answer = await asyncio.to_thread(peer.final_response, probe, "OPTIONS", 5)
    return answer.startswith("SIP/2.0 200")


async def status_of(peer: RawSipPeer, port: int, message: Torture, ident: str) -> int | None:
    """The final status `message` got (None: no answer)."""
    peer.send(message.wire(port, peer.port, ident), port)
    if message.expect is not None:
        try:
            answer = await asyncio.to_thread(peer.final_response, ident, "", 2)
        except TimeoutError:
            return None
        if answer.startswith("SIP/2.0 2") and message.method == "INVITE":
            hang_up(peer, port, [answer])
        return int(answer.split()[1])
    await alive(peer, port, f"probe-{ident}")
    finals = [t for t in peer.responses(ident) if not t.startswith("SIP/2.0 1")]
    return int(finals[0].split()[1]) if finals else None


async def test_torture_messages_get_the_rfc_responses(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING)
    endpoint = await started_endpoint(max_calls=8, invites_per_second=1000)
    answered = hold_calls(endpoint)
    try:
        with RawSipPeer() as peer:
            got: dict[str, int | None] = {}
            try:
                for n, message in enumerate(MESSAGES):
                    got[message.name] = await status_of(peer, endpoint.port, message, f"t{n}")
            finally:
                if TABLE:
                    table = [[m.category, m.name, m.expect, got.get(m.name)] for m in MESSAGES]
                    Path(TABLE).write_text(json.dumps(table, ensure_ascii=False))
            assert got == {m.name: m.expect for m in MESSAGES}
            refused_offers = [n for n, m in enumerate(MESSAGES) if m.category == "SDP"]
            for n in refused_offers:  # the caller heard 100 Trying before the 488
                assert peer.responses(f"t{n}")[0].startswith("SIP/2.0 100"), MESSAGES[n].name
            assert await alive(peer, endpoint.port, "after")
        await all_released(endpoint)
        served = len(answered)
        assert served == sum(m.expect == 200 and m.method == "INVITE" for m in MESSAGES)
        assert (await sipp_caller(endpoint, tmp_path, listen_ms=500)()).ok
        assert len(answered) == served + 1 and answered[-1].end_reason == "caller hung up"
        await all_released(endpoint)
    finally:
        await endpoint.stop()
    assert not crashes(caplog)


async def test_fuzzed_requests_never_crash_the_endpoint(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(FUZZ_SEED)
    endpoint = await started_endpoint(max_calls=50, invites_per_second=10000)
    hold_calls(endpoint)
    try:
        with RawSipPeer() as peer:
            for n in range(FUZZ_COUNT):
                method = "INVITE" if n % 2 else "OPTIONS"
                request = raw_request(method, endpoint.port, f"fz{n}x", sdp=OFFER)
                request = request.replace(b"{local_port}", str(peer.port).encode())
                peer.send(mutate(request, rng, keep_via=method == "INVITE"), endpoint.port)
                if n % 10 == 9:  # also keeps the peer's receive buffer from overflowing
                    assert await alive(peer, endpoint.port, f"probe{n}")
            assert await alive(peer, endpoint.port, "after")
            # Hang up every call the fuzz made (a 200 lost on the way comes again).
            hung: set[str] = set()
            deadline = time.monotonic() + 15
            while endpoint.active_calls or endpoint.ports.in_use:
                assert time.monotonic() < deadline, (endpoint.active_calls, endpoint.ports.in_use)
                answers = [
                    text
                    for text in peer.responses("fz")
                    if text.startswith("SIP/2.0 2")
                    and header(text, "CSeq").endswith("INVITE")
                    and header(text, "Call-ID") not in hung
                ]
                hang_up(peer, endpoint.port, answers)
                hung |= {header(text, "Call-ID") for text in answers}
                await asyncio.sleep(0.05)
        assert (await sipp_caller(endpoint, tmp_path, listen_ms=500)()).ok
    finally:
        await endpoint.stop()
    assert not crashes(caplog)
