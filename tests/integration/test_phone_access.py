"""The citizen phone page reads its own call and nothing else: GET /phone/calls/{id} needs the
call token of that call's WebRTC answer; SIP calls and other callers' calls stay hidden."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bot.calls.record import CallRecord
from bot.calls.store import CallStore
from tests.conftest import BotServer
from tests.support.webrtc_caller import WebRTCCaller


async def sip_record(bot: BotServer) -> str:
    """A SIP call's record as the worker stores it (its id is derived from signalling)."""
    record_id = uuid.uuid5(uuid.NAMESPACE_URL, f"sip:{uuid.uuid4()}@pbx;tag-1").hex
    store = CallStore.from_url("redis://127.0.0.1:6379/0", bot.prefix, 1)
    await store.save(
        CallRecord(id=record_id, channel="sip", caller="13800138000", started_at=time.time())
    )
    await store.close()
    return record_id


async def own_call(page: httpx.AsyncClient, caller: WebRTCCaller) -> httpx.Response:
    """The page's poll, once the call's record exists."""
    deadline = time.monotonic() + 20
    while True:
        response = await page.get(
            f"/phone/calls/{caller.call_id}", headers={"X-Call-Token": caller.call_token or ""}
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


async def test_the_page_reads_its_own_call_and_no_other(bot_server: BotServer) -> None:
    first, second = WebRTCCaller(bot_server.url), WebRTCCaller(bot_server.url)
    sip_id = await sip_record(bot_server)
    await first.dial()
    await second.dial()
    try:
        async with httpx.AsyncClient(base_url=bot_server.url, timeout=5) as page:
            mine = await own_call(page, first)
            assert mine.status_code == 200, mine.text
            assert mine.json()["id"] == first.call_id and mine.json()["channel"] == "webrtc"

            bare = await page.get(f"/phone/calls/{first.call_id}")
            assert bare.status_code == 401
            assert "X-Call-Token" in bare.json()["detail"]
            for call_id in (second.call_id, sip_id):  # another caller's call; a SIP call
                stolen = await page.get(
                    f"/phone/calls/{call_id}", headers={"X-Call-Token": first.call_token or ""}
                )
                assert stolen.status_code == 404
                assert "13800138000" not in stolen.text
            assert (await page.get(f"/phone/calls/{sip_id}")).status_code == 401
            forged = await page.get(f"/phone/calls/{sip_id}", headers={"X-Call-Token": "0" * 64})
            assert forged.status_code == 404
            # Call records outside the page need a signed-in user or an API token.
            assert (await page.get(f"/api/calls/{sip_id}")).status_code == 401
            assert (await page.get("/api/calls")).status_code == 401
        async with bot_server.api() as supervisor:
            assert (await supervisor.get(f"/api/calls/{sip_id}")).json()["caller"] == "13800138000"
    finally:
        await first.hang_up()
        await second.hang_up()
