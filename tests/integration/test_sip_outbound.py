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
from telephony.g711 import alaw_decode, ulaw_encode
from tests.conftest import free_udp_port
from tests.support.sip_peers import RtpCapture, SippCallee, all_released, started_endpoint

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


def tones(path: Path, *pitches: float, seconds: float = 1.0) -> Path:
    """A µ-law file for sipp: one tone per pitch, `seconds` each (a tune, as far as RTP goes)."""
    t = np.arange(int(8000 * seconds)) / 8000
    track = np.concatenate([np.sin(2 * np.pi * pitch * t) * 8000 for pitch in pitches])
    path.write_bytes(ulaw_encode(track.astype(np.int16)))
    return path


def loudness(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if len(pcm) else 0.0


async def test_early_media_before_a_failure_is_heard(endpoint: SipEndpoint, tmp_path: Path) -> None:
    announcement = tones(tmp_path / "announcement.ul", 440, 660)
    async with SippCallee(
        "callee_announces",
        tmp_path,
        announcement=announcement,
        play_ms=2500,
        status="480 Temporarily Unavailable",
    ) as callee:
        dialled = await endpoint.dial(callee.uri, proxy=("127.0.0.1", callee.port), caller="12345")
        assert (dialled.outcome, dialled.status, dialled.call) == (CallOutcome.NO_ANSWER, 480, None)
        assert (await callee.result()).ok  # the 480 was ACKed
    heard = np.frombuffer(dialled.early_audio, dtype=np.int16)
    assert 1.6 <= len(heard) / 8000 <= 2.6, len(heard) / 8000  # the 2 s it played
    assert loudness(heard[: len(heard) // 2]) > 3000
    await all_released(endpoint)  # the early-media port is back


async def test_a_ring_back_tune_then_an_answer_is_one_stream(
    endpoint: SipEndpoint, tmp_path: Path
) -> None:
    # One second of tune before the 200, then the callee's side goes on on the same stream.
    audio = tones(tmp_path / "ringback.ul", 523, 880, 880, 880, 880)
    async with SippCallee("callee_ringback", tmp_path, audio=audio, ring_ms=1000) as callee:
        dialled = await endpoint.dial(callee.uri, proxy=("127.0.0.1", callee.port), caller="12345")
        assert dialled.outcome is CallOutcome.ANSWERED and dialled.call is not None
        assert dialled.early_audio == b""  # the tune is no answer, and no announcement
        after: list[bytes] = []
        arrived = asyncio.Event()

        def listen(pcm: bytes) -> None:
            after.append(pcm)
            if len(after) >= 50:  # a second of the callee's side
                arrived.set()

        dialled.call.rtp.on_audio = listen
        await asyncio.wait_for(arrived.wait(), 5)
        await endpoint.release(dialled.call)
        assert (await callee.result()).ok
    assert loudness(np.frombuffer(b"".join(after), dtype=np.int16)) > 3000
    await all_released(endpoint)
