"""Kamailio's dispatcher in front of two bot workers: calls are spread, and a stopped worker
is routed around."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BotServer
from tests.support.sip_peers import Kamailio, SippResult, call_once, scenario


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BotServer]]:
    servers = [BotServer(tmp_path_factory.mktemp(f"worker{n}")) for n in (1, 2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


def sip_callers(worker: BotServer) -> list[str]:
    calls = worker.get("/api/calls", params={"limit": 100}).json()
    return [call["caller"] for call in calls if call["channel"] == "sip"]


async def call_through(proxy: Kamailio, caller: str, workdir: Path) -> SippResult:
    xml = scenario("caller", workdir, caller=caller, lead_ms=300, listen_ms=1000, media="")
    return await call_once(
        xml,
        proxy.port,
        timeout_s=20,
        workdir=workdir,
    )


async def test_calls_spread_over_workers_and_fail_over(
    workers: list[BotServer], tmp_path: Path
) -> None:
    proxy = Kamailio(tmp_path, [worker.sip_port for worker in workers])
    try:
        await asyncio.sleep(2)  # the dispatcher's first OPTIONS round marks both workers up
        for n in range(4):
            result = await call_through(proxy, f"1380000100{n}", tmp_path)
            assert result.ok, result.output + proxy.log_path.read_text()[-2000:]
        spread = [sip_callers(worker) for worker in workers]
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
