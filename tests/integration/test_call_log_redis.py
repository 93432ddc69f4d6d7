"""A call's record survives Redis restarting mid-call: nothing said is lost."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.calls.call_log import CallLog
from bot.calls.record import CallRecord, Turn
from bot.calls.store import CallStore
from bot.redis_guard import StoreUnavailable
from tests.support.private_redis import PrivateRedis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def eventually(check, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await check()
            if result:
                return result
        except StoreUnavailable:
            pass
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_record_reaches_redis_after_a_restart(redis_server: PrivateRedis) -> None:
    store = CallStore.from_url(f"redis://127.0.0.1:{redis_server.port}/0", "t", 1)
    log = CallLog(CallRecord(id="c1", channel="webrtc", started_at=time.time()), store)
    log.start()
    await eventually(lambda: store.get("c1"), timeout=5)

    redis_server.stop()  # Redis goes away mid-call: the call goes on
    log.record.turns.append(Turn(index=0, caller_text="我要投诉噪音", bot_text="好的"))
    log.changed()
    await asyncio.sleep(1.5)
    with pytest.raises(StoreUnavailable, match="Redis is unreachable"):
        await store.get("c1")

    redis_server.start()  # an empty Redis comes back: the writer re-saves everything
    saved = await eventually(lambda: _with_turns(store), timeout=10)
    assert saved.turns[0].caller_text == "我要投诉噪音"

    await log.close()
    final = await store.get("c1")
    assert final is not None and final.ended_at is not None
    await store.close()


async def _with_turns(store: CallStore) -> CallRecord | None:
    record = await store.get("c1")
    return record if record and record.turns else None
