"""A supervisor's headless Chromium on /console: signs in, watches a live SIP call and its
transcript, and listens in to an escalated call; nobody else gets in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.async_api import Page, async_playwright

from tests.conftest import BotServer, free_udp_port, running_bot
from tests.support.sip_peers import (
    DTMF_PCAPS,
    SippCallee,
    call_once,
    play_pcap,
    scenario,
    stream_ulaw,
    write_ulaw,
)
from tests.support.speech import speak, write_wav

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
AGENT_PORT = free_udp_port()


@pytest.fixture(scope="module")
def console_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    with running_bot(
        tmp_path_factory.mktemp("console"),
        HOTLINE_SIP__AGENT_QUEUES=f'{{"default": "sip:8001@127.0.0.1:{AGENT_PORT}"}}',
    ) as server:
        yield server


def speech(text: str, path: Path, repeat: int = 1) -> Path:
    """`text` spoken `repeat` times as a µ-law file for sipp."""
    audio = np.tile(speak(text, 8000), repeat)
    return write_ulaw(write_wav(path.with_suffix(".wav"), audio, 8000), path)


@asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium, closed with the block."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def sign_in(page: Page, bot: BotServer, role: str) -> None:
    await page.goto(f"{bot.url}/console")
    await page.wait_for_url("**/login?next=/console")
    await page.fill("#name", role)
    await page.fill("#password", bot.passwords[role])
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console")


def sipp_caller(bot: BotServer, xml: Path, workdir: Path) -> asyncio.Task[object]:
    return asyncio.create_task(
        call_once(
            xml,
            bot.sip_port,
            timeout_s=60,
            workdir=workdir,
        )
    )


async def test_console_shows_a_live_call_and_its_transcript(
    console_bot: BotServer, tmp_path: Path
) -> None:
    xml = scenario(
        "caller",
        tmp_path,
        caller="13912345678",
        lead_ms=3000,
        listen_ms=15000,
        media=stream_ulaw(speech("我想问一下公积金怎么提取", tmp_path / "q.ul")),
    )
    call = sipp_caller(console_bot, xml, tmp_path)
    async with browser_page() as page:
        await sign_in(page, console_bot, "supervisor")
        assert "supervisor" in await page.locator("#user").inner_text()
        row = page.locator("#live tr.live", has_text="139****5678")
        await row.wait_for(timeout=15000)  # the number is masked
        assert "sip" in await row.inner_text()
        await row.click()
        transcript = page.locator("#transcript")
        await transcript.locator("text=机器人：您好").wait_for(timeout=10000)
        await transcript.locator("p.caller", has_text="公积金").wait_for(timeout=20000)
        await transcript.locator("p.bot", has_text="住房公积金").wait_for(timeout=10000)
        figures = await page.locator("#today").inner_text()
        assert "今日来电" in figures and "平均响应" in figures
        assert (await call).ok  # type: ignore[attr-defined]
        await row.wait_for(state="detached", timeout=10000)  # gone when the caller hangs up


async def test_supervisor_listens_in_to_an_escalated_call(
    console_bot: BotServer, tmp_path: Path
) -> None:
    caller_xml = scenario(
        "caller_escalates",
        tmp_path,
        caller="13912340001",
        agent="8001",
        lead_ms=1500,
        request=play_pcap(DTMF_PCAPS / "dtmf_2833_0.pcap"),  # 0: a person, please
        media=stream_ulaw(speech("我家楼下的工地晚上一直施工，很吵", tmp_path / "c.ul", 6)),
    )
    agent = SippCallee(
        "callee_listens",
        tmp_path / "agent",
        port=AGENT_PORT,
        media=stream_ulaw(speech("您好，这里是人工坐席，请您讲", tmp_path / "a.ul", 6)),
        listen_ms=25000,
    )
    async with agent:
        call = sipp_caller(console_bot, caller_xml, tmp_path)
        async with browser_page() as page:
            await sign_in(page, console_bot, "supervisor")
            row = page.locator("#live tr.live", has_text="人工坐席通话中")
            await row.wait_for(timeout=30000)
            assert "139****0001" in await row.inner_text()
            await row.click()
            await page.locator("#listen:not([disabled])").click(timeout=5000)
            await page.locator("#listen-state", has_text="正在监听").wait_for(timeout=10000)
            await page.wait_for_function(
                "Number(document.querySelector('#listen-meter span').dataset.peak || 0) > 0.02",
                timeout=15000,
            )
            await page.click("#listen")
            await page.locator("#listen-state", has_text="监听已结束").wait_for(timeout=5000)
        assert (await call).ok  # type: ignore[attr-defined]
        assert (await agent.result()).ok
    async with console_bot.api() as client:
        audit = (await client.get("/api/console/audit", params={"limit": 10})).json()
    entries = [e for e in audit if e["user"] == "supervisor"]
    assert [e["action"] for e in entries[:2]] == ["listen_stop", "listen_start"]
    assert entries[0]["session"] == entries[1]["session"]
    assert entries[0]["why"] == "stopped"


async def test_nobody_else_gets_in(console_bot: BotServer) -> None:
    async with browser_page() as page:
        await page.goto(f"{console_bot.url}/console")
        await page.wait_for_url("**/login?next=/console")  # not signed in: the login form
        status = await page.evaluate("fetch('/api/console/overview').then(r => r.status)")
        assert status == 401
        await page.fill("#name", "supervisor")
        await page.fill("#password", "wrong")
        await page.click("button[type=submit]")
        await page.locator("#error", has_text="用户名或密码错误").wait_for(timeout=5000)
    async with httpx.AsyncClient(base_url=console_bot.url, timeout=5) as anonymous:
        for path in ("/api/calls", "/api/console/overview", "/api/tickets/1", "/api/campaigns/x"):
            refused = await anonymous.get(path)
            assert refused.status_code == 401, path
            assert "Sign in" in refused.json()["detail"]
        forged = await anonymous.get("/api/calls", headers={"Authorization": "Bearer nope"})
        assert forged.status_code == 401
        listen = await anonymous.post("/api/console/calls/x/listen", json={"sdp": "m=audio"})
        assert listen.status_code == 401
        assert (await anonymous.get("/phone")).status_code == 200  # citizens need no account
    async with httpx.AsyncClient(base_url=console_bot.url, timeout=5) as designer:
        signed_in = await designer.post(
            "/login", json={"name": "designer", "password": console_bot.passwords["designer"]}
        )
        assert signed_in.json() == {"name": "designer", "role": "designer"}
        assert (await designer.get("/api/calls")).status_code == 200  # transcripts: yes
        assert (await designer.get("/api/console/overview")).status_code == 403
        assert (await designer.get("/console")).status_code == 403
    async with httpx.AsyncClient(base_url=console_bot.url, timeout=5) as supervisor:
        await supervisor.post(
            "/login", json={"name": "supervisor", "password": console_bot.passwords["supervisor"]}
        )
        assert (await supervisor.get("/api/console/audit")).status_code == 403  # admins only
