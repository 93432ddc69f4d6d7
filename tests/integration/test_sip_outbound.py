"""The bot placing calls: telephony's endpoint dialling sipp callees on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from aiosipua import SipDigestAuth

from telephony.call import CallOutcome
from telephony.endpoint import SipEndpoint
from telephony.g711 import alaw_decode
from tests.conftest import free_udp_port
from tests.support.sip_peers import RtpCapture, SippResult, run_sipp, scenario, started_endpoint

TONE = (np.sin(2 * np.pi * 440 * np.arange(8000) / 8000) * 8000).astype("<i2").tobytes()


@pytest.fixture
async def endpoint() -> AsyncIterator[SipEndpoint]:
    sip = await started_endpoint()
    yield sip
    await sip.stop()


class Callee:
    """A sipp UAS serving one call from `scenario` in the background."""

    def __init__(self, name: str, workdir: Path, **values: object) -> None:
        self.port = free_udp_port()
        self.media_port = free_udp_port()
        self._xml = scenario(name, workdir, **values)
        self._workdir = workdir
        self._task: asyncio.Task[SippResult] | None = None

    async def __aenter__(self) -> Callee:
        self._task = asyncio.create_task(
            run_sipp(
                self._xml,
                "-m",
                "1",
                "-p",
                str(self.port),
                "-mp",
                str(self.media_port),
                timeout_s=30,
                workdir=self._workdir,
            )
        )
        await asyncio.sleep(0.5)  # sipp binds its port within a few ms
        return self

    async def result(self) -> SippResult:
        assert self._task is not None
        return await asyncio.wait_for(self._task, 45)

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        if not self._task.done():
            self._task.cancel()

    @property
    def uri(self) -> str:
        return f"sip:13900000000@127.0.0.1:{self.port}"


async def test_answered_call_carries_audio_and_ends_with_bye(
    endpoint: SipEndpoint, tmp_path: Path
) -> None:
    async with Callee("callee_answer", tmp_path) as callee:
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
    async with Callee("callee_busy", tmp_path) as callee:
        dialled = await endpoint.dial(callee.uri, proxy=("127.0.0.1", callee.port), caller="12345")
        assert (dialled.outcome, dialled.status) == (CallOutcome.BUSY, 486)
        assert (await callee.result()).ok  # it got its ACK


async def test_unanswered_call_is_cancelled(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with Callee("callee_no_answer", tmp_path) as callee:
        dialled = await endpoint.dial(
            callee.uri, proxy=("127.0.0.1", callee.port), caller="12345", ring_timeout_s=2
        )
        assert dialled.outcome is CallOutcome.NO_ANSWER
        assert (await callee.result()).ok  # CANCEL received, its 487 ACKed


async def test_trunk_digest_challenge_is_answered(endpoint: SipEndpoint, tmp_path: Path) -> None:
    async with Callee("callee_auth", tmp_path, user="hotline", password="s3cret") as callee:
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
    async with Callee("callee_auth", tmp_path, user="hotline", password="s3cret") as callee:
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
