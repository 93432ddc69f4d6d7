"""A hung Redis (accepts connections, never answers) fails every store call within the client
timeout, with the one error the callers handle, instead of stalling calls and the dialer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.access.audit import AuditLog
from bot.access.guard import Principal
from bot.access.lockout import SignInLockout
from bot.calls.store import CallStore
from bot.campaigns.store import CampaignStore
from bot.config import LockoutConfig
from bot.redis_guard import TIMEOUT_S as DEFAULT_TIMEOUT_S
from bot.redis_guard import StoreUnavailable, connect
from bot.tickets.store import TicketStore

TIMEOUT_S = 0.5


@pytest.fixture
async def hung_redis_url() -> AsyncIterator[str]:
    """A loopback TCP server that accepts and reads, and never writes a byte."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(4096):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()


def operations(url: str) -> dict[str, Callable[[], Awaitable[object]]]:
    client = connect(url, timeout_s=TIMEOUT_S)
    lockout = SignInLockout(client, "t", LockoutConfig(failures=5, window_min=15, lock_min=15))
    return {
        "campaigns": lambda: CampaignStore(client, "t").get("c1"),
        "calls": lambda: CallStore(client, "t", 1).get("some-call"),
        "tickets": lambda: TicketStore(client, "t").get("202612020001"),
        "audit": lambda: AuditLog(client, "t").write("listen_start", Principal("lee", "admin")),
        "lockout": lambda: lockout.locked_for("lee", "127.0.0.1"),
    }


@pytest.mark.parametrize("store", ["campaigns", "calls", "tickets", "audit", "lockout"])
async def test_hung_redis_fails_fast_with_a_clear_error(hung_redis_url: str, store: str) -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="Redis is unreachable"):
        await asyncio.wait_for(operations(hung_redis_url)[store](), timeout=10)
    assert time.monotonic() - started < 3 * TIMEOUT_S + 1


async def test_campaign_cli_store_has_the_default_timeout(hung_redis_url: str) -> None:
    started = time.monotonic()
    store = CampaignStore.from_url(hung_redis_url, "t")
    with pytest.raises(StoreUnavailable, match="Timeout"):
        await asyncio.wait_for(store.get("c1"), timeout=10)
    assert time.monotonic() - started < 3 * DEFAULT_TIMEOUT_S + 1
    await store.close()
