"""Campaigns as a centre runs them (issue 17): contacts with the centre's own work-order ids
spoken in the survey, and every result pushed to the work-order system's webhook exactly once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from aiohttp import web

from bot.calls.record import CallRecord
from bot.campaigns.contacts import read_contacts
from bot.campaigns.dialer import CampaignDialer
from bot.campaigns.model import CampaignSettings, Contact, OptOut
from bot.campaigns.store import CampaignStore, Settled
from bot.campaigns.webhook import Outbox
from tests.conftest import BotServer, free_port
from tests.integration.test_campaigns import HAPPY, answers_file, contacts_of, create, wait_finished
from tests.integration.test_console import browser_page, sign_in
from tests.support.private_redis import PrivateRedis
from tests.support.sip_peers import SippCallee

SECRET = "test-webhook-secret-0123456789"


async def call_record(url: str, prefix: str, call_id: str) -> CallRecord:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        raw = await client.get(f"{prefix}:call:{call_id}")
        assert raw is not None, f"no record of call {call_id}"
        return CallRecord.model_validate_json(raw)
    finally:
        await client.aclose()


def bot_said(record: CallRecord) -> str:
    return "\n".join(turn.bot_text for turn in record.turns if turn.bot_text)


CALLEE_WAIT_S = 360


def expected_rates(contacts: list[dict[str, Any]], by: str) -> dict[str, tuple[str, str]]:
    """Each group's resolution and satisfaction rate as the console prints them, worked out
    from the contacts' recorded answers."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for contact in contacts:
        groups.setdefault(contact[by] or "未注明", []).append(contact["answers"])

    def percent(hits: int, answers: int) -> str:
        return f"{round(hits / answers * 100)}%（{hits}/{answers}）" if answers else "—"

    expected = {}
    for group, answers in groups.items():
        resolution = [a["resolved"] for a in answers if a.get("resolved") is not None]
        satisfaction = [a["satisfaction"] for a in answers if a.get("satisfaction")]
        satisfied = sum(s in ("satisfied", "basically_satisfied") for s in satisfaction)
        expected[group] = (
            percent(sum(resolution), len(resolution)),
            percent(satisfied, len(satisfaction)),
        )
    return expected


async def duty_lead_reads_the_rates(
    worker: BotServer, campaign_id: str, answered: list[dict[str, Any]]
) -> None:
    """A supervisor's Chromium on /console: the campaign's progress, its rates by department
    and by category as charts, and the numbers behind them downloaded as CSV."""
    async with browser_page() as page:
        await sign_in(page, worker, "supervisor")
        card = page.locator(f".campaign[data-id='{campaign_id}']")
        await card.wait_for(timeout=15_000)
        assert "完成 2" in await card.inner_text()
        for by in ("department", "category"):
            await card.locator("select.grouping").select_option(by)
            expected = expected_rates(answered, by)
            # The card is drawn again for the grouping chosen: wait for that drawing.
            table = page.locator(f".campaign[data-id='{campaign_id}'] table.rates[data-by={by}]")
            await table.locator("tr").nth(len(expected)).wait_for(timeout=15_000)
            shown = {}
            rows = table.locator("tr")
            for index in range(1, await rows.count()):  # under the header
                cells = await rows.nth(index).locator("td").all_inner_texts()
                group, resolution, satisfaction = (c.replace("\n", "").strip() for c in cells)
                shown[group] = (resolution, satisfaction)
            assert shown == expected, by
            bars = table.locator("[data-rate=satisfaction] .bar span")
            assert await bars.count() == len(expected)
            link = card.locator("a.download")
            assert f"by={by}" in (await link.get_attribute("href") or "")
            download = await page.request.get(f"{worker.url}{await link.get_attribute('href')}")
            header, *rows = (await download.text()).splitlines()
            assert header.startswith(f"{by},answered,resolved")
            assert {row.split(",")[0] for row in rows} == set(expected)


async def test_foreign_work_order_ids_are_surveyed_by_category_and_date(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}"
    # Called one at a time, in no fixed order, after the worker starts: each callee waits
    # long enough for the others' calls (about a minute each on 2 cores).
    happy = SippCallee(
        "callee_speaks",
        tmp_path / "happy",
        timeout_s=CALLEE_WAIT_S,
        answers=answers_file(HAPPY, tmp_path / "a.ul"),
    )
    plain = SippCallee(
        "callee_speaks",
        tmp_path / "plain",
        timeout_s=CALLEE_WAIT_S,
        answers=answers_file(
            ["是我", "方便，你说吧", "解决了", "我觉得很满意", "没有了"], tmp_path / "b.ul"
        ),
    )
    annoyed = SippCallee(
        "callee_speaks",
        tmp_path / "annoyed",
        timeout_s=CALLEE_WAIT_S,
        answers=answers_file(["以后不要再给我打电话了"], tmp_path / "c.ul"),
    )
    csv = (
        "phone,ticket_id,name,category,summary,reported,department\n"
        f"{happy.uri},T1,王先生,城市供暖,家里暖气不热,2026-11-20,市住建局\n"
        f"{plain.uri},SZ-2026-000123,,噪音扰民,,2026/11/21,\n"
        f"{annoyed.uri},12345-20261130-0007,,,,,\n"
        "13800138000,--,,,,,\n"
    )
    worker = BotServer(
        tmp_path_factory.mktemp("worker"),
        HOTLINE_REDIS__KEY_PREFIX=prefix,
        HOTLINE_SIP__RING_TIMEOUT_S="3",
        HOTLINE_CAMPAIGNS__LEASE_S="3",
    )
    try:
        await asyncio.to_thread(worker.wait_ready)
        # One call at a time: the callees' answers are timed, and two cores decode them.
        created = await create(worker, csv, windows="00:00-23:59", max_concurrent=1, attempts=1)
        assert created["contacts"] == 3
        [rejected] = created["rejected_rows"]
        assert rejected["row"] == 5 and rejected["reason"].startswith("ticket_id '--' is not")
        await wait_finished(worker, created["id"], timeout=240)
        contacts = await contacts_of(worker, created["id"])
        url = "redis://127.0.0.1:6379/0"

        # The survey said which request it is about, from what the file gave.
        first = contacts[happy.uri]
        said = bot_said(await call_record(url, prefix, first["attempts"][0]["call_id"]))
        assert (
            "关于您11月20日向我们反映的城市供暖问题（家里暖气不热），工单号T1，市住建局已经办理"
            in said
        )
        assert first["outcome"] == "completed" and first["answers"]["resolved"] is True
        assert first["evidence"]["resolved"] and first["evidence"]["satisfaction"]
        second = contacts[plain.uri]
        said = bot_said(await call_record(url, prefix, second["attempts"][0]["call_id"]))
        assert "请问您是这个号码的机主吗" in said
        assert "关于您11月21日向我们反映的噪音扰民问题，工单号SZ-2026-000123，想占用" in said
        assert "None" not in said and "请问您是吗" not in said

        # The callee who asked not to be called again is on the do-not-call list, with the words.
        third = contacts[annoyed.uri]
        assert third["outcome"] == "opted_out" and "打电话" in third["do_not_call"]
        client = redis.Redis.from_url(url, decode_responses=True)
        try:
            assert await client.sismember(f"{prefix}:do-not-call", annoyed.uri)
            evidence = await client.hget(f"{prefix}:do-not-call:evidence", annoyed.uri)
        finally:
            await client.aclose()
        assert evidence is not None
        assert json.loads(evidence)["said"] == third["do_not_call"]
        assert json.loads(evidence)["campaign_id"] == created["id"]
        again = await create(worker, csv, start_at=time.time() + 86400)
        assert again["do_not_call_skipped"] == 1 and again["contacts"] == 2
        async with worker.api() as api:
            await api.post(f"/api/campaigns/{again['id']}/cancel")
            export = (await api.get(f"/api/campaigns/{created['id']}/export")).text
            exported = (await api.get(f"/api/campaigns/{created['id']}/export?format=json")).json()
        header, *rows = export.splitlines()
        assert header.endswith("callback_time_said,do_not_call_said,announcement_heard")
        [row] = [r for r in rows if r.startswith(happy.uri)]
        assert f",{first['evidence']['satisfaction']}," in row
        [result] = [r for r in exported if r["phone"] == happy.uri]
        assert result["answers"]["satisfaction"] == {
            "value": "satisfied",
            "said": first["evidence"]["satisfaction"],
        }
        await duty_lead_reads_the_rates(worker, created["id"], [first, second])
    finally:
        worker.stop()
        for callee in (happy, plain, annoyed):
            await callee.stop()


@dataclass
class Receiver:
    """The work-order system's webhook. It refuses the first `refusals` requests (500); in
    mode "hold" it keeps the next request waiting until the test lets it go (others meanwhile
    are refused); in mode "refuse" it answers 500, in mode "accept" 200."""

    refusals: int = 2
    mode: str = "hold"
    requests: list[dict[str, Any]] = field(default_factory=list)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    release_with: int = 500
    then: str = "refuse"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        timestamp = request.headers["X-Hotline-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
        seen = {
            "key": request.headers["Idempotency-Key"],
            "valid": hmac.compare_digest(
                request.headers["X-Hotline-Signature"], "sha256=" + expected.hexdigest()
            ),
            "body": json.loads(body),
            "at": time.monotonic(),
            "status": 500,
        }
        self.requests.append(seen)
        if len(self.requests) > self.refusals and self.mode == "hold" and not self.held.is_set():
            self.held.set()
            await self.release.wait()
            self.held.clear()
            self.release.clear()
            seen["status"], self.mode = self.release_with, self.then
        elif len(self.requests) > self.refusals and self.mode == "accept":
            seen["status"] = 200
        return web.Response(status=int(seen["status"]))

    def accepted(self) -> list[str]:
        """The keys answered with a 2xx: what the work-order system took."""
        return [r["key"] for r in self.requests if 200 <= r["status"] < 300]

    def let_go(self, status: int, then: str) -> None:
        """Answer the held request with `status`, then go on in mode `then`."""
        self.release_with, self.then = status, then
        self.release.set()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hooks = Receiver()
    app = web.Application()
    app.router.add_post("/results", hooks.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield hooks, f"http://127.0.0.1:{port}/results"
    finally:
        hooks.release.set()
        await runner.cleanup()


async def api_answers(worker: BotServer, path: str, timeout: float) -> None:
    """Wait out the 503s of a worker whose Redis has just come back."""
    deadline = time.monotonic() + timeout
    async with worker.api() as client:
        while (await client.get(path)).status_code != 200:
            assert time.monotonic() < deadline, f"{path} does not answer"
            await asyncio.sleep(0.2)


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@pytest.mark.timeout(600)
async def test_every_result_reaches_the_webhook_once_across_a_worker_kill_and_a_redis_restart(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    store = PrivateRedis(tmp_path, append_only=True)
    store.start()
    prefix = f"hotline-test-{uuid.uuid4().hex[:8]}"
    env = {
        "HOTLINE_REDIS__URL": store.url,
        "HOTLINE_REDIS__KEY_PREFIX": prefix,
        "HOTLINE_CAMPAIGNS__LEASE_S": "3",
        "HOTLINE_CAMPAIGNS__WEBHOOK__URL": url,
        "HOTLINE_CAMPAIGNS__WEBHOOK__SECRET": SECRET,
        "HOTLINE_CAMPAIGNS__WEBHOOK__TIMEOUT_S": "10",
        "HOTLINE_CAMPAIGNS__WEBHOOK__BACKOFF_S": "0.5",
        "HOTLINE_CAMPAIGNS__WEBHOOK__MAX_BACKOFF_S": "2",
    }
    contacts_total = 4
    # Calls cut short by the kill are placed again by the next worker.
    callee = SippCallee(
        "callee_listens", tmp_path / "callee", calls=contacts_total + 4, listen_ms=2000
    )
    workers: list[BotServer] = []
    try:
        for name in ("w1", "w2"):
            (tmp_path / name).mkdir()
        workers.append(BotServer(tmp_path / "w1", **env))
        await asyncio.to_thread(workers[0].wait_ready)
        csv = "phone,ticket_id\n" + "".join(
            f"sip:1380000200{n}@127.0.0.1:{callee.port},T{n}\n" for n in range(contacts_total)
        )
        created = await create(workers[0], csv, windows="00:00-23:59", max_concurrent=2)

        # Refused twice (retried with backoff), then a delivery under way when the worker dies.
        await asyncio.wait_for(hooks.held.wait(), timeout=120)
        assert [r["status"] for r in hooks.requests[:2]] == [500, 500]
        workers[0].process.kill()
        workers[0].process.wait()
        hooks.let_go(500, then="refuse")

        # A new worker takes over; the receiver takes a delivery while Redis is away, so the
        # worker cannot note it as delivered until Redis is back.
        workers.append(BotServer(tmp_path / "w2", **env))
        await asyncio.to_thread(workers[1].wait_ready)
        hooks.mode = "hold"
        await asyncio.wait_for(hooks.held.wait(), timeout=60)
        await asyncio.to_thread(store.stop)
        hooks.let_go(200, then="accept")
        log = workers[1].log_path
        await until(lambda: "webhook deliveries paused" in log.read_text(), 30, "the pause")
        await asyncio.to_thread(store.start)
        await api_answers(workers[1], f"/api/campaigns/{created['id']}", timeout=30)

        await wait_finished(workers[1], created["id"], timeout=180)
        client = redis.Redis.from_url(store.url, decode_responses=True)
        try:
            await until(lambda: len(set(hooks.accepted())) == contacts_total, 60, "all results")
            deadline = time.monotonic() + 30
            while await client.zcard(f"{prefix}:webhook:due"):
                assert time.monotonic() < deadline, "the outbox was not emptied"
                await asyncio.sleep(0.2)
        finally:
            await client.aclose()
        accepted = hooks.accepted()
        assert sorted(accepted) == sorted(f"{created['id']}:{phone}" for phone in _phones(csv))
        assert len(accepted) == len(set(accepted)), f"delivered twice: {accepted}"
        assert all(r["valid"] for r in hooks.requests)
        assert len(hooks.requests) >= contacts_total + 3  # two refusals and the one cut off
        bodies = {r["key"]: r["body"] for r in hooks.requests if r["status"] == 200}
        assert {b["ticket_id"] for b in bodies.values()} == {f"T{n}" for n in range(4)}
        assert all(b["finished"] and b["outcome"] for b in bodies.values())
        for key in set(accepted):  # each retry waited for its backoff (0.5 s, doubling)
            times = [r["at"] for r in hooks.requests if r["key"] == key]
            assert all(later - earlier >= 0.45 for earlier, later in pairwise(times)), times
    finally:
        for worker in workers:
            worker.stop()
        await callee.stop()
        store.stop()


def _phones(csv: str) -> list[str]:
    return [line.split(",")[0] for line in csv.splitlines()[1:]]


async def test_a_number_that_opted_out_elsewhere_since_import_is_not_called(
    tmp_path: Path,
) -> None:
    store = PrivateRedis(tmp_path)
    store.start()
    client = redis.Redis.from_url(store.url, decode_responses=True)
    campaigns = CampaignStore(client, "hotline-test")
    try:
        imported = read_contacts("phone,ticket_id\n13800138000,T1\n", await campaigns.do_not_call())
        campaign = await campaigns.create(CampaignSettings(windows="00:00-23:59"), imported)
        # Meanwhile the callee told another campaign's call not to call again.
        said = OptOut(said="以后别给我打了", campaign_id="other", at=time.time())
        await campaigns.finish("other", "0-1", Settled(Contact(phone="13800138000"), opt_out=said))
        # No SIP: a dial would fail the test.
        dialer = CampaignDialer(campaigns, None, None, consumer="t", push_results=True)  # type: ignore[arg-type]
        deadline = time.monotonic() + 10
        while (await campaigns.get(campaign.id) or campaign).status != "finished":
            assert time.monotonic() < deadline, "the campaign did not finish"
            await dialer.tick()
            await asyncio.sleep(0.05)
        contact = await campaigns.contact(campaign.id, "13800138000")
        assert contact is not None and contact.outcome == "opted_out" and not contact.attempts
        assert contact.do_not_call == "以后别给我打了"
        [delivery] = await Outbox(client, "hotline-test").claim(time.time(), time.time() + 5, 10)
        assert delivery.key == f"{campaign.id}:13800138000"
        assert json.loads(delivery.body)["outcome"] == "opted_out"
    finally:
        await client.aclose()
        store.stop()
