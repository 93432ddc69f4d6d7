"""The bot placing calls: telephony's endpoint dialling sipp callees on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from aiosipua import SipDigestAuth

from telephony.call import CallOutcome
from telephony.endpoint import SipEndpoint
from telephony.g711 import alaw_decode
from tests.conftest import free_udp_port
from tests.support.sip_peers import RtpCapture, SippCallee, started_endpoint

TONE = (np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) * 8000).astype("<i2").tobytes()


@pytest.fixture
async def endpoint() -> AsyncIterator[SipEndpoint]:
    sip = await started_endpoint()
    yield sip
    await sip.stop()


async def test_answered_call_carries_audio_and_ends_with_bye(
    endpoint: SipEndpoint, tmp_path: Path
) -> None:
    async with SippCallee("callee_answer", tmp_path) as callee:
        with RtpCapture(tmp_path / "callee.pcap", callee.media_port) as capture:
            dialled = await endpoint.dial(
                callee.uri, proxy=("127.0.0.1", callee.port), caller="12345"
            )
            assert dialled.outcome is CallOutcome.ANSWERED and dialled.call is not None
            assert dialled.call.rtp.media.payload_type == 8  # the callee chose PCMA
            dialled.call.rtp.send(TONE)
            await dialled.call.hangup()  # waits for the tone to play out, then BYE
        assert (await callee.result()).ok
    heard = alaw_decode(b"".join(p.payload for p in capture.packets())).astype(np.float64)
    assert len(heard) >= 7600 and np.sqrt(np.mean(heard**2)) > 3000


async def test_busy_callee(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with SippCallee("callee_busy", tmp_path) as callee:
        dialled = await endpoint.dial(callee.uri, proxy=("127.0.0.1", callee.port), caller="12345")
        assert (dialled.outcome, dialled.status) == (CallOutcome.BUSY, 486)
        assert (await callee.result()).ok  # it got its ACK


async def test_unanswered_call_is_cancelled(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with SippCallee("callee_no_answer", tmp_path) as callee:
        dialled = await endpoint.dial(
            callee.uri, proxy=("127.0.0.1", callee.port), caller="12345", ring_timeout_s=2
        )
        assert dialled.outcome is CallOutcome.NO_ANSWER
        assert (await callee.result()).ok  # CANCEL received, its 487 ACKed


async def test_trunk_digest_challenge_is_answered(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with SippCallee("callee_auth", tmp_path, user="hotline", password="s3cret") as callee:
        dialled = await endpoint.dial(
            callee.uri,
            proxy=("127.0.0.1", callee.port),
            caller="12345",
            credentials=SipDigestAuth("hotline", "s3cret"),
        )
        assert dialled.outcome is CallOutcome.ANSWERED and dialled.call is not None
        await dialled.call.hangup()
        assert (await callee.result()).ok


async def test_wrong_trunk_password_is_rejected(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with SippCallee("callee_auth", tmp_path, user="hotline", password="s3cret") as callee:
        dialled = await endpoint.dial(
            callee.uri,
            proxy=("127.0.0.1", callee.port),
            caller="12345",
            credentials=SipDigestAuth("hotline", "wrong"),
        )
        assert (dialled.outcome, dialled.status) == (CallOutcome.REJECTED, 403)


async def test_nobody_listening_fails(endpoint: SipEndpoint) -> None:
    port = free_udp_port()
    dialled = await endpoint.dial(
        f"sip:1@127.0.0.1:{port}", proxy=("127.0.0.1", port), caller="12345", ring_timeout_s=1
    )
    assert dialled.outcome is CallOutcome.FAILED
