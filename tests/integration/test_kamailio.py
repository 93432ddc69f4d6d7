"""Kamailio's dispatcher in front of two bot workers of one deployment (one Redis namespace,
one sign-in): calls are spread, a supervisor hears a call whichever worker the console request
reaches, and a stopped worker is routed around."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from tests.conftest import BotServer
from tests.integration.test_console import speech
from tests.support.sip_peers import Kamailio, SippResult, call_once, scenario, stream_ulaw


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BotServer]]:
    first = BotServer(tmp_path_factory.mktemp("worker1"))
    second = BotServer(
        tmp_path_factory.mktemp("worker2"),
        token=first.token,
        HOTLINE_REDIS__KEY_PREFIX=first.prefix,
    )
    servers = [first, second]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def sip_callers(worker: BotServer) -> list[str]:
    """The callers of the SIP calls this worker carried (the call list is the deployment's)."""
    calls = worker.get("/api/calls", params={"limit": 100}).json()
    return [c["caller"] for c in calls if c["channel"] == "sip" and c["worker"] == worker.url]


async def call_through(proxy: Kamailio, caller: str, workdir: Path) -> SippResult:
    xml = scenario("caller", workdir, caller=caller, lead_ms=300, listen_ms=1000, media="")
    return await call_once(
        xml,
        proxy.port,
        timeout_s=20,
        workdir=workdir,
    )


async def listen(worker: BotServer, call_id: str) -> tuple[RTCPeerConnection, str, list[float]]:
    """A supervisor's browser asking `worker` to hear the call; returns the peer connection,
    the session and the loudness of each audio frame heard so far."""
    pc = RTCPeerConnection()
    pc.addTransceiver("audio", direction="recvonly")
    loudness: list[float] = []
    readers: list[asyncio.Future[None]] = []

    @pc.on("track")
    def heard(track: MediaStreamTrack) -> None:
        async def read() -> None:
            while True:
                frame = await track.recv()
                samples = frame.to_ndarray().astype(np.float64)  # type: ignore[attr-defined]
                loudness.append(float(np.sqrt(np.mean(samples**2))))

        readers.append(asyncio.ensure_future(read()))

    await pc.setLocalDescription(await pc.createOffer())
    async with worker.api(timeout=20) as client:
        response = await client.post(
            f"/api/console/calls/{call_id}/listen", json={"sdp": pc.localDescription.sdp}
        )
    assert response.status_code == 200, response.text
    answer = response.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return pc, answer["session"], loudness


async def test_a_call_is_heard_through_whichever_worker_the_console_reaches(
    workers: list[BotServer], tmp_path: Path
) -> None:
    proxy = Kamailio(tmp_path, [worker.sip_port for worker in workers])
    caller = "13800003001"
    media = stream_ulaw(speech("我家楼下的饭店油烟太大了", tmp_path / "said.ul", 4))
    xml = scenario("caller", tmp_path, caller=caller, lead_ms=300, listen_ms=20000, media=media)
    try:
        await asyncio.sleep(2)  # the dispatcher's first OPTIONS round marks both workers up
        call = asyncio.create_task(call_once(xml, proxy.port, timeout_s=40, workdir=tmp_path))
        live = await wait_until(
            lambda: [
                c
                for c in workers[0].get("/api/calls", params={"limit": 20}).json()
                if c["caller"] == caller and c["ended_at"] is None
            ],
            timeout=15,
        )
        carrier = next(w for w in workers if w.url == live[0]["worker"])
        other = next(w for w in workers if w is not carrier)
        pc, session, loudness = await listen(other, live[0]["id"])  # forwarded to the carrier
        try:
            await wait_until(lambda: [level for level in loudness if level > 300], timeout=15)
            async with other.api() as client:
                stopped = await client.delete(f"/api/console/listen/{session}")
            assert stopped.status_code == 204, stopped.text
        finally:
            await pc.close()
        assert (await call).ok
        async with other.api() as client:
            audit = (await client.get("/api/console/audit", params={"limit": 10})).json()
        assert [(e["action"], e["session"]) for e in audit[:2]] == [
            ("listen_stop", session),
            ("listen_start", session),
        ]
    finally:
        proxy.stop()


async def wait_until(found: Callable[[], list[Any]], timeout: float) -> list[Any]:
    """What `found` returns once it is not empty, checked every 0.2 s up to `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if result := found():
            return result
        await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing found within {timeout} s")


async def test_calls_spread_over_workers_and_fail_over(
    workers: list[BotServer], tmp_path: Path
) -> None:
    proxy = Kamailio(tmp_path, [worker.sip_port for worker in workers])
    try:
        await asyncio.sleep(2)  # the dispatcher's first OPTIONS round marks both workers up
        for n in range(4):
            result = await call_through(proxy, f"1380000100{n}", tmp_path)
            assert result.ok, result.output + proxy.log_path.read_text()[-2000:]
        spread = [[c for c in sip_callers(w) if c.startswith("1380000100")] for w in workers]
        assert sorted(spread[0] + spread[1]) == [f"1380000100{n}" for n in range(4)]
        assert len(spread[0]) == len(spread[1]) == 2, spread  # round-robin

        workers[0].stop()
        for n in range(3):
            result = await call_through(proxy, f"1380000200{n}", tmp_path)
            assert result.ok, result.output + proxy.log_path.read_text()[-2000:]
        assert [c for c in sip_callers(workers[1]) if c.startswith("1380000200")] == [
            f"1380000200{n}" for n in reversed(range(3))
        ]
    finally:
        proxy.stop()
