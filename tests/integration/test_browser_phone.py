"""A real headless Chromium calls the bot from /phone with a WAV as its microphone."""

import asyncio
import json
import time
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright

from tests.conftest import BotServer
from tests.support.calls import caller_turns, wait_for_call
from tests.support.speech import cer, speak, write_wav

SENTENCE = "我想问一下居住证怎么办理"
CHROMIUM = "/usr/bin/chromium"
LOUD = 0.02  # RMS of a full-scale float signal


def chromium_args(mic_wav: Path) -> list[str]:
    return [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic_wav}",
        "--allow-loopback-in-peer-connection",
        "--autoplay-policy=no-user-gesture-required",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]


def loud_spans(levels: list[list[float]], gap_ms: float = 800) -> list[tuple[float, float]]:
    """Stretches of audible audio, split by at least `gap_ms` of quiet."""
    spans: list[tuple[float, float]] = []
    for at, rms in levels:
        if rms < LOUD:
            continue
        if spans and at - spans[-1][1] < gap_ms:
            spans[-1] = (spans[-1][0], at)
        else:
            spans.append((at, at))
    return spans


async def wait_for(page: Page, script: str, timeout: float) -> None:
    await page.wait_for_function(script, timeout=timeout * 1000, polling=100)


@pytest.fixture
def mic_wav(tmp_path: Path) -> Path:
    # Quiet while the greeting plays, then the question, then quiet (Chromium loops the file).
    return write_wav(tmp_path / "caller.wav", speak(SENTENCE, 48000), 48000, lead_s=9, tail_s=30)


async def test_call_from_the_phone_page(bot_server: BotServer, mic_wav: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=chromium_args(mic_wav)
        )
        page = await browser.new_page()
        await page.goto(f"{bot_server.url}/phone")
        await page.click("#call")
        await wait_for(page, "window.phone.state === 'connected'", timeout=15)
        call_id = await page.evaluate("window.phone.callId")

        # 1. the greeting is heard in the browser
        await wait_for(page, f"window.phone.botLevels.some(([t, rms]) => rms > {LOUD})", 15)
        # 2. the caller's sentence is transcribed into the call record
        call = await wait_for_call(bot_server, call_id, lambda c: bool(caller_turns(c)), 40)
        # 3. the reply is heard after the caller spoke, and the page shows both sides
        deadline = time.time() + 20
        while time.time() < deadline:
            bot = loud_spans(await page.evaluate("window.phone.botLevels"))
            mic = loud_spans(await page.evaluate("window.phone.micLevels"))
            if mic and len(bot) >= 2 and bot[-1][0] > mic[0][0]:
                break
            await asyncio.sleep(0.3)
        else:
            pytest.fail(f"no reply heard after the caller spoke: bot={bot} mic={mic}")
        # The page shows the caller's words as they are spoken (an interim line, "… …"), then
        # the final transcript in their place: wait for the final one.
        heard = caller_turns(call)[0]["caller_text"]
        final_shown = (
            "[...document.querySelectorAll('#transcript li.caller:not(.interim)')]"
            f".some((li) => li.textContent.includes({json.dumps(heard)}))"
        )
        await wait_for(page, final_shown, 10)
        shown = await page.inner_text("#transcript")
        await page.click("#hangup")
        await browser.close()

    assert cer(SENTENCE, heard) <= 0.3, heard
    assert heard in shown and "12345" in shown
    ended = await wait_for_call(bot_server, call_id, lambda c: c["ended_at"] is not None, 15)
    assert ended["turns"][1]["latency_ms"] is not None
