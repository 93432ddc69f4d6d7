"""Waiting on what the bot records about a call, through its public API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.conftest import BotServer

Call = dict[str, Any]


async def wait_for_call(
    bot: BotServer, call_id: str, done: Callable[[Call], bool], timeout: float
) -> Call:
    """Poll GET /api/calls/{id} until `done(call)` holds; fail with the last record seen."""
    deadline = time.monotonic() + timeout
    call: Call = {}
    async with bot.api() as client:
        while time.monotonic() < deadline:
            response = await client.get(f"/api/calls/{call_id}")
            if response.status_code == 200:
                call = response.json()
                if done(call):
                    return call
            await asyncio.sleep(0.2)
    raise TimeoutError(f"call {call_id} did not reach the expected state: {call}")


def caller_turns(call: Call) -> list[dict[str, Any]]:
    return [turn for turn in call["turns"] if turn["caller_text"]]


async def wait_for_caller(
    bot: BotServer, caller: str, done: Callable[[Call], bool], timeout: float
) -> Call:
    """Like `wait_for_call`, for the latest call from `caller` (SIP calls are found by number)."""
    deadline = time.monotonic() + timeout
    seen: Call = {}
    async with bot.api() as client:
        while time.monotonic() < deadline:
            response = await client.get("/api/calls", params={"limit": 100})
            calls = [call for call in response.json() if call["caller"] == caller]
            if calls:
                seen = calls[0]
                if done(seen):
                    return seen
            await asyncio.sleep(0.2)
    raise TimeoutError(f"no call from {caller} reached the expected state: {seen}")
