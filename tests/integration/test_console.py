"""A supervisor's headless Chromium on /console watches a live SIP call and its transcript."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

from tests.conftest import BotServer, free_udp_port
from tests.support.sip_peers import run_sipp, scenario, stream_ulaw, write_ulaw
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
]


async def test_console_shows_a_live_call_and_its_transcript(
    bot_server: BotServer, tmp_path: Path
) -> None:
    words = write_ulaw(
        write_wav(tmp_path / "q.wav", speak("我想问一下公积金怎么提取", 8000), 8000),
        tmp_path / "q.ul",
    )
    xml = scenario(
        "caller",
        tmp_path,
        caller="13912345678",
        lead_ms=3000,
        listen_ms=15000,
        media=stream_ulaw(words),
    )
    call = asyncio.create_task(
        run_sipp(
            xml,
            "-m",
            "1",
            "-mp",
            str(free_udp_port()),
            f"127.0.0.1:{bot_server.sip_port}",
            timeout_s=40,
            workdir=tmp_path,
        )
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await page.goto(f"{bot_server.url}/console")
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
        assert (await call).ok
        await row.wait_for(state="detached", timeout=10000)  # gone when the caller hangs up
        await browser.close()
