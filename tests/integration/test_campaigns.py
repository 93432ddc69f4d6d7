"""Callback campaigns against real SIP callees (sipp) on loopback, dialled by `hotline serve`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis.asyncio as redis

from bot.tickets.store import TicketStore
from bot.tickets.ticket import Ticket
from tests.conftest import BotServer, running_bot
from tests.support.private_redis import PrivateRedis
from tests.support.sip_peers import DTMF_PCAPS, SippCallee, play_pcap, stream_ulaw, write_ulaw
from tests.support.speech import speak, write_wav

ANSWER_GAP_S = 5.5  # each answer follows the bot's next question, cutting it short
FIRST_ANSWER_S = 2.0

Contacts = dict[str, dict[str, Any]]
# Whole answers, as citizens give them (whisper-base mishears a bare "满意" in the demo voice).
HAPPY = ["我是王先生", "方便，你说吧", "已经解决了", "我觉得很满意", "没有别的意见"]
UNHAPPY = ["我是李女士", "方便，你说吧", "还没有解决", "我不满意", "没有别的意见"]


def answers_file(words: list[str], path: Path) -> Path:
    """The callee's side of the survey: each answer at its moment, silence in between."""
    rate = 8000
    track = np.zeros(int(rate * (FIRST_ANSWER_S + ANSWER_GAP_S * len(words) + 1)), np.int16)
    for n, word in enumerate(words):
        start = int(rate * (FIRST_ANSWER_S + ANSWER_GAP_S * n))
        audio = speak(word, rate)
        track[start : start + len(audio)] = audio
    return write_ulaw(write_wav(path.with_suffix(".wav"), track, rate), path)


@pytest.fixture
def campaign_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    with running_bot(
        tmp_path_factory.mktemp("campaign-worker"),
        HOTLINE_SIP__RING_TIMEOUT_S="3",
        HOTLINE_CAMPAIGNS__LEASE_S="3",
    ) as server:
        yield server


async def create(worker: BotServer, csv: str, **settings: object) -> dict[str, Any]:
    async with worker.api(timeout=10) as client:
        response = await client.post("/api/campaigns", json={"contacts_csv": csv, **settings})
        assert response.status_code == 201, response.text
        return dict(response.json())


async def wait_finished(worker: BotServer, campaign_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    async with worker.api(timeout=10) as client:
        while time.monotonic() < deadline:
            status = (await client.get(f"/api/campaigns/{campaign_id}")).json()
            if status["status"] == "finished":
                return status
            await asyncio.sleep(0.5)
    raise TimeoutError(f"campaign not finished: {status}")


async def contacts_of(worker: BotServer, campaign_id: str) -> Contacts:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        raw = await client.hgetall(f"{worker.prefix}:campaign:{campaign_id}:contacts")
    finally:
        await client.aclose()
    return {phone: json.loads(value) for phone, value in raw.items()}


async def dialers(stream: str) -> list[dict[str, Any]]:
    """The consumers of a campaign's call queue, with how many entries each holds."""
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    try:
        return list(await client.xinfo_consumers(stream, "dialers"))
    finally:
        await client.aclose()


def most_at_once(contacts: Contacts) -> int:
    edges = sorted(
        (moment, step)
        for contact in contacts.values()
        for attempt in contact["attempts"]
        for moment, step in ((attempt["started_at"], 1), (attempt["ended_at"], -1))
    )
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


async def test_campaign_outcomes_answers_retries_and_concurrency(
    campaign_worker: BotServer, tmp_path: Path
) -> None:
    tickets = TicketStore(
        redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True),
        campaign_worker.prefix,
    )
    for number, name in (("202611240101", "王先生"), ("202611240102", "李女士")):
        now = time.time()
        await tickets.save(
            Ticket(
                number=number,
                category="噪音扰民",
                department="市生态环境局",
                contact_name=name,
                created_at=now,
                updated_at=now,
            )
        )
    happy = SippCallee(
        "callee_speaks",
        tmp_path / "happy",
        calls=1,
        answers=answers_file(HAPPY, tmp_path / "a.ul"),
    )
    unhappy = SippCallee(
        "callee_speaks",
        tmp_path / "unhappy",
        calls=1,
        answers=answers_file(UNHAPPY, tmp_path / "b.ul"),
    )
    stranger = SippCallee(
        "callee_speaks",
        tmp_path / "stranger",
        calls=1,
        answers=answers_file(["不是，你打错了"], tmp_path / "c.ul"),
    )
    assistant = SippCallee(  # a phone's call-screening assistant picks up, twice
        "callee_speaks",
        tmp_path / "assistant",
        calls=2,
        answers=answers_file(["您好，我是机主的来电助理，请问您有什么事？"], tmp_path / "d.ul"),
    )
    busy = SippCallee("callee_busy", tmp_path / "busy", calls=2)
    silent = SippCallee("callee_no_answer", tmp_path / "silent", calls=2)
    csv = (
        "phone,ticket_id,name\n"
        f"{happy.uri},202611240101,王先生\n{unhappy.uri},202611240102,李女士\n"
        f"{stranger.uri},,张先生\n{busy.uri},,赵女士\n{silent.uri},,钱先生\n"
        f"{assistant.uri},,孙先生\n"
        "12345,,bad row\n"
    )
    try:
        created = await create(
            campaign_worker,
            csv,
            windows="00:00-23:59",
            max_concurrent=2,
            attempts=2,
            retry_delay_s=1,
        )
        assert created["contacts"] == 6
        assert created["rejected_rows"] == [{"row": 8, "reason": "'12345' is not a phone number"}]
        status = await wait_finished(campaign_worker, created["id"], timeout=240)
        contacts = await contacts_of(campaign_worker, created["id"])
        outcome = {phone: (c["outcome"], len(c["attempts"])) for phone, c in contacts.items()}
        assert outcome == {
            happy.uri: ("completed", 1),
            unhappy.uri: ("completed", 1),
            stranger.uri: ("wrong_number", 1),
            busy.uri: ("busy", 2),
            silent.uri: ("no_answer", 2),
            assistant.uri: ("machine", 2),  # retried, and nothing it said kept
        }, contacts
        assert contacts[assistant.uri]["answers"] is None
        assert status["outcomes"]["completed"] == 2 and status["progress"] == 1.0
        happy_answers = contacts[happy.uri]["answers"]
        assert (happy_answers["resolved"], happy_answers["satisfaction"]) == (True, "satisfied")
        assert "意见" in happy_answers["comment"]
        assert contacts[unhappy.uri]["answers"]["resolved"] is False
        assert contacts[unhappy.uri]["answers"]["satisfaction"] == "dissatisfied"
        assert most_at_once(contacts) <= 2
        # The answers are on the tickets, and the unhappy one is flagged for follow-up.
        good, bad = await tickets.get("202611240101"), await tickets.get("202611240102")
        assert good is not None and bad is not None
        assert good.surveys[-1].satisfaction == "satisfied" and not good.follow_up
        assert bad.follow_up
        async with campaign_worker.api() as client:
            export = (await client.get(f"/api/campaigns/{created['id']}/export")).text
        assert f"{busy.uri},,赵女士,busy,yes,2," in export
    finally:
        for callee in (happy, unhappy, stranger, busy, silent, assistant):
            await callee.stop()


def spoken_and_keyed(said: list[str], keys: str, last_words: str, path: Path) -> str:
    """The callee's side: the first answers spoken, the next on the keypad (each key after
    the bot's next question), the last spoken again (a comment has no key)."""
    streamed_s = FIRST_ANSWER_S + ANSWER_GAP_S * len(said) + 1
    steps = [stream_ulaw(answers_file(said, path.with_name("said.ul")))]
    steps.append(f'<pause milliseconds="{int(streamed_s * 1000)}"/>')
    for key in keys:
        steps += [play_pcap(DTMF_PCAPS / f"dtmf_2833_{key}.pcap"), KEY_GAP]
    return "".join([*steps, stream_ulaw(answers_file([last_words], path))])


KEY_GAP = f'<pause milliseconds="{int(ANSWER_GAP_S * 1000)}"/>'


async def test_a_survey_answered_by_voice_and_keypad(
    campaign_worker: BotServer, tmp_path: Path
) -> None:
    """Who and whether now is fine said aloud; 1 = resolved and 2 = basically satisfied on the
    keypad (RFC 4733); the keys are recorded with the key press as the caller's evidence."""
    tickets = TicketStore(
        redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True),
        campaign_worker.prefix,
    )
    now = time.time()
    await tickets.save(
        Ticket(
            number="202611240201",
            category="物业管理",
            department="市住房和城乡建设局",
            contact_name="周女士",
            created_at=now,
            updated_at=now,
        )
    )
    media = spoken_and_keyed(
        ["我是周女士", "方便，你说吧"], "12", "没有别的意见", tmp_path / "c.ul"
    )
    callee = SippCallee("callee_presses", tmp_path / "keys", calls=1, media=media)
    try:
        created = await create(
            campaign_worker,
            f"phone,ticket_id,name\n{callee.uri},202611240201,周女士\n",
            windows="00:00-23:59",
            attempts=1,
        )
        await wait_finished(campaign_worker, created["id"], timeout=120)
        [contact] = (await contacts_of(campaign_worker, created["id"])).values()
        assert contact["outcome"] == "completed", json.dumps(contact, ensure_ascii=False)
        answers = contact["answers"]
        assert (answers["resolved"], answers["satisfaction"]) == (True, "basically_satisfied")
        survey = (await tickets.get("202611240201")).surveys[-1]  # type: ignore[union-attr]
        assert survey.evidence["resolved"] == "按键1（解决了）"
        assert survey.evidence["satisfaction"] == "按键2（基本满意）"
    finally:
        await callee.stop()


async def test_no_call_outside_the_calling_window(
    campaign_worker: BotServer, tmp_path: Path
) -> None:
    callee = SippCallee("callee_busy", tmp_path / "callee")
    # A one-minute window twelve hours from now, in the centre's time zone.
    hour = (time.gmtime().tm_hour + 8 + 12) % 24
    try:
        created = await create(
            campaign_worker, f"phone\n{callee.uri}\n", windows=f"{hour:02d}:00-{hour:02d}:01"
        )
        await asyncio.sleep(5)  # five dialer ticks
        contacts = await contacts_of(campaign_worker, created["id"])
        assert [c["attempts"] for c in contacts.values()] == [[]]
        assert not callee.task.done()  # sipp is still waiting for an INVITE
    finally:
        await callee.stop()


async def test_two_dialers_share_a_campaign_and_a_killed_one_loses_nothing(
    tmp_path: Path,
) -> None:
    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}"
    env = {"HOTLINE_REDIS__KEY_PREFIX": prefix, "HOTLINE_CAMPAIGNS__LEASE_S": "3"}
    workers = []
    for name in ("w1", "w2"):
        (tmp_path / name).mkdir()
        workers.append(BotServer(tmp_path / name, **env))
    first, second = workers
    contacts_total = 10
    callee = SippCallee(
        "callee_listens", tmp_path / "callee", calls=contacts_total + 4, listen_ms=3000
    )
    try:
        for worker in workers:
            worker.wait_ready()
        csv = "phone\n" + "".join(
            f"sip:138000000{n:02d}@127.0.0.1:{callee.port}\n" for n in range(contacts_total)
        )
        created = await create(first, csv, windows="00:00-23:59", max_concurrent=3)
        # Kill a worker while it has calls in progress, after some have been completed.
        stream = f"{prefix}:campaign:{created['id']}:calls"
        deadline = time.monotonic() + 60
        victim: BotServer | None = None
        while victim is None and time.monotonic() < deadline:
            contacts = await contacts_of(first, created["id"])
            if sum(len(c["attempts"]) for c in contacts.values()) >= 3:
                busy = {c["name"] for c in await dialers(stream) if c["pending"]}
                victim = next(
                    (
                        w
                        for w in workers
                        if any(name.endswith(f"-{w.process.pid}") for name in busy)
                    ),
                    None,
                )
            await asyncio.sleep(0.1)
        assert victim is not None, "no moment with calls both done and under way"
        survivor = second if victim is first else first
        victim.process.kill()
        victim.process.wait()
        await wait_finished(survivor, created["id"], timeout=120)
        contacts = await contacts_of(survivor, created["id"])
        assert len(contacts) == contacts_total and all(c["done"] for c in contacts.values())
        assert [len(c["attempts"]) for c in contacts.values()] == [1] * contacts_total
        assert most_at_once(contacts) <= 3
        # The survivor took over the victim's calls (and both had dialled; numbers masked).
        for worker in workers:
            assert "dialling sip:138****00" in worker.log_path.read_text()
    finally:
        for worker in workers:
            worker.stop()
        await callee.stop()


async def test_campaign_api_controls_and_errors(bot_server: BotServer) -> None:
    async with bot_server.api(timeout=10) as client:
        closed = {"windows": "00:00-00:01", "timezone": "Pacific/Kiritimati"}
        body = {"contacts_csv": "phone\n13800138000\n", **closed}
        created = (await client.post("/api/campaigns", json=body)).json()
        url = f"/api/campaigns/{created['id']}"
        assert (await client.post(f"{url}/pause")).json()["status"] == "paused"
        assert (await client.post(f"{url}/resume")).json()["status"] == "active"
        assert (await client.post(f"{url}/cancel")).json()["status"] == "cancelled"
        again = await client.post(f"{url}/resume")
        assert again.status_code == 409 and "is cancelled" in again.json()["detail"]
        assert (await client.get("/api/campaigns/nope")).status_code == 404
        empty = await client.post("/api/campaigns", json={"contacts_csv": "phone\nabc\n"})
        assert empty.status_code == 400
        assert "row 2: 'abc' is not a phone number" in empty.json()["detail"]
        flow = await client.post("/api/campaigns", json={**body, "flow": "nope"})
        assert flow.status_code == 400 and "No flow named 'nope'" in flow.json()["detail"]
        zone = await client.post("/api/campaigns", json={**body, "timezone": "Mars/Base"})
        assert zone.status_code == 422


async def test_a_redis_restart_loses_and_repeats_nothing(tmp_path: Path) -> None:
    store = PrivateRedis(tmp_path, append_only=True)
    store.start()
    (tmp_path / "worker").mkdir()
    worker = BotServer(
        tmp_path / "worker", HOTLINE_REDIS__URL=store.url, HOTLINE_CAMPAIGNS__LEASE_S="3"
    )
    callee = SippCallee("callee_listens", tmp_path / "callee", calls=4, listen_ms=3000)
    try:
        worker.wait_ready()
        csv = "phone\n" + "".join(f"sip:1380000100{n}@127.0.0.1:{callee.port}\n" for n in range(4))
        created = await create(worker, csv, windows="00:00-23:59", max_concurrent=2)
        client = redis.Redis.from_url(store.url, decode_responses=True)
        inflight = f"{worker.prefix}:campaign:{created['id']}:inflight"
        deadline = time.monotonic() + 30
        while int(await client.get(inflight) or 0) < 1:  # calls under way
            assert time.monotonic() < deadline, "no call started"
            await asyncio.sleep(0.1)
        await client.aclose()
        store.stop()
        await asyncio.sleep(4)  # the calls end while Redis is away
        store.start()
        await wait_finished(worker, created["id"], timeout=90)
        client = redis.Redis.from_url(store.url, decode_responses=True)
        raw = await client.hgetall(f"{worker.prefix}:campaign:{created['id']}:contacts")
        await client.aclose()
        contacts = [json.loads(value) for value in raw.values()]
        assert len(contacts) == 4 and all(c["done"] for c in contacts)
        assert [len(c["attempts"]) for c in contacts] == [1] * 4
        assert (await callee.task).ok  # exactly four calls reached the callee
    finally:
        worker.stop()
        await callee.stop()
        store.stop()
