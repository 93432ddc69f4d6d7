"""What a centre's monitoring sees of a live call: a real Prometheus server scrapes /metrics
while a SIP call runs, and the worker's log of a whole call is structured and names no
caller's full phone or ID number."""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import BotServer, free_port
from tests.support.sip_peers import call_once, scenario, stream_ulaw, write_ulaw
from tests.support.speech import speak, write_wav

PROMETHEUS = Path("/usr/bin/prometheus")
SENTENCE = "我想问一下公积金怎么提取"
ID_NUMBER, MOBILE = "110101199003071234", "13912345678"
SPOKEN_NUMBERS = "我的身份证号码是一一零一零一一九九零零三零七一二三四，手机一三九一二三四五六七八"

# Series every worker exposes from its start (labels known in advance start at zero).
SERIES = [
    "hotline_calls_total",
    "hotline_active_calls",
    "hotline_turn_stage_seconds_bucket",
    "hotline_asr_queue_depth",
    "hotline_asr_decode_seconds_count",
    "hotline_llm_request_seconds_count",
    "hotline_llm_fallbacks_total",
    "hotline_tts_first_audio_seconds_count",
    "hotline_tickets_created_total",
    "hotline_campaign_attempts_total",
    "hotline_sip_responses_total",
]
# What one answered SIP call with one question must move.
MOVED_BY_A_CALL = [
    'sum(hotline_calls_total{channel="sip"})',
    "hotline_asr_decode_seconds_count",
    'hotline_turn_stage_seconds_count{stage="total"}',
    "hotline_tts_first_audio_seconds_count",
    'hotline_sip_responses_total{status_class="2xx"}',
]


def new_caller() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def caller_audio(text: str, workdir: Path) -> Path:
    wav = write_wav(workdir / "caller.wav", speak(text, 16000), 16000)
    return write_ulaw(wav, workdir / "caller.ul")


def sip_call(bot: BotServer, workdir: Path, caller: str, text: str) -> asyncio.Task[object]:
    xml = scenario(
        "caller",
        workdir,
        caller=caller,
        lead_ms=1500,
        listen_ms=9000,
        media=stream_ulaw(caller_audio(text, workdir)),
    )
    return asyncio.create_task(call_once(xml, bot.sip_port, timeout_s=40, workdir=workdir))


@contextmanager
def prometheus(bot: BotServer, workdir: Path) -> Iterator[str]:
    """Debian's Prometheus on loopback, scraping the bot every second with its API token."""
    if not PROMETHEUS.exists():
        pytest.fail(f"{PROMETHEUS} is missing: `make system-deps` installs Debian's prometheus")
    token = bot.headers["Authorization"].removeprefix("Bearer ")
    config = workdir / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: hotline\n"
        f"    authorization:\n      type: Bearer\n      credentials: {token}\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{bot.port}']\n"
    )
    port = free_port()
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


async def value(prom: httpx.AsyncClient, expr: str) -> float | None:
    try:
        response = await prom.get("/api/v1/query", params={"query": expr})
    except httpx.TransportError:  # not listening yet
        return None
    if response.status_code != 200:
        return None
    result = response.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


async def wait_for_value(
    prom: httpx.AsyncClient, expr: str, holds: Callable[[float], bool], timeout: float
) -> float:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = await value(prom, expr)
        if seen is not None and holds(seen):
            return seen
        await asyncio.sleep(0.25)
    raise TimeoutError(f"Prometheus: {expr} stayed at {seen}")


async def test_prometheus_scrapes_a_live_call(bot_server: BotServer, tmp_path: Path) -> None:
    started = time.monotonic()
    refused = httpx.get(f"{bot_server.url}/metrics")
    assert refused.status_code == 401  # protected like the API
    with prometheus(bot_server, tmp_path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5) as prom:
            await wait_for_value(prom, 'up{job="hotline"}', lambda up: up == 1, timeout=20)
            names = (await prom.get("/api/v1/label/__name__/values")).json()["data"]
            assert set(SERIES) <= set(names), set(SERIES) - set(names)
            before = {expr: await value(prom, expr) or 0.0 for expr in MOVED_BY_A_CALL}

            call = sip_call(bot_server, tmp_path, new_caller(), SENTENCE)
            # Scraped while the call is live.
            await wait_for_value(
                prom, 'hotline_active_calls{channel="sip"}', lambda n: n >= 1, timeout=15
            )
            result = await call
            assert result.ok, result.output  # type: ignore[attr-defined]
            for expr in MOVED_BY_A_CALL:
                await wait_for_value(prom, expr, lambda now, e=expr: now > before[e], timeout=10)
            await wait_for_value(
                prom, 'hotline_active_calls{channel="sip"}', lambda n: n == 0, timeout=10
            )
    assert time.monotonic() - started < 60


async def test_a_whole_call_log_is_structured_and_masked(
    bot_server: BotServer, tmp_path: Path
) -> None:
    caller = new_caller()
    lines_before = len(bot_server.log_path.read_text().splitlines())
    result = await sip_call(bot_server, tmp_path, caller, SPOKEN_NUMBERS)
    assert result.ok, result.output  # type: ignore[attr-defined]
    async with bot_server.api() as api:
        deadline = time.monotonic() + 15
        while True:
            calls = (await api.get("/api/calls", params={"limit": 50})).json()
            record = next((c for c in calls if c["caller"] == caller), None)
            if (record and record["ended_at"]) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    assert record is not None and record["ended_at"] is not None

    lines = bot_server.log_path.read_text().splitlines()[lines_before:]
    events = [json.loads(line) for line in lines if line.startswith("{")]
    said = [turn["caller_text"] for turn in record["turns"] if turn["caller_text"]]
    assert events and said, lines
    ours = [event for event in events if event.get("call_id") == record["id"]]
    assert {"call", "ended"} <= set(" ".join(e["event"] for e in ours).split()), ours
    # The caller's number, and every number the caller said (as transcribed), only masked.
    digits_said = re.findall(r"\d{7,}", re.sub(r"[\s-]", "", "".join(said)))
    whole_log = re.sub(r"[\s-]", "", "\n".join(lines))
    for number in [caller, MOBILE, ID_NUMBER, *digits_said]:
        assert number not in whole_log, number
    assert f"{caller[:3]}****{caller[-4:]}" in whole_log  # still recognisable
