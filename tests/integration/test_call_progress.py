"""Call progress in a campaign (issue 17): carrier announcements played as early media before
480/486/408/404/403 and after a 200, a colour ring-back tune before an answer or a failure —
each gives its outcome and its retry, with sipp as the carriers and callees on loopback."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.conftest import BotServer, running_bot
from tests.integration.test_campaigns import HAPPY, answers_file, contacts_of, create, wait_finished
from tests.support.sip_peers import SippCallee, write_ulaw
from tests.support.speech import speak, write_wav

RATE = 8000


@pytest.fixture
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    with running_bot(
        tmp_path_factory.mktemp("call-progress"),
        HOTLINE_SIP__RING_TIMEOUT_S="12",  # announcements play out before the carrier fails
        HOTLINE_CAMPAIGNS__LEASE_S="3",
    ) as server:
        yield server


def announcement(text: str, path: Path) -> tuple[Path, int]:
    """A carrier's announcement as it plays: said twice, a pause between; the file and how
    long it plays (ms)."""
    said = speak(text, RATE)
    gap = np.zeros(int(RATE * 0.6), np.int16)
    track = np.concatenate([gap[: RATE // 4], said, gap, said, gap[: RATE // 4]])
    return write_ulaw(write_wav(path.with_suffix(".wav"), track, RATE), path), (
        len(track) * 1000 // RATE
    )


def ring_back_tune(seconds: float) -> np.ndarray:
    """A few bars of a synthetic melody with a harmonic, as a 彩铃 would be: no words."""
    notes = [523.3, 659.3, 784.0, 659.3, 587.3, 523.3, 587.3, 659.3]
    per_note = int(RATE * seconds / len(notes))
    t = np.arange(per_note) / RATE
    envelope = np.minimum(1, np.minimum(t, t[::-1]) * 40)
    melody = [
        (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * envelope for f in notes
    ]
    return (np.concatenate(melody) * 7000).astype(np.int16)


def carrier(tmp_path: Path, name: str, text: str, status: str, calls: int) -> SippCallee:
    audio, play_ms = announcement(text, tmp_path / f"{name}.ul")
    return SippCallee(
        "callee_announces",
        tmp_path / name,
        calls=calls,
        announcement=audio,
        play_ms=play_ms,
        status=status,
    )


async def test_announcements_and_ring_back_give_outcomes_and_retries(
    worker: BotServer, tmp_path: Path
) -> None:
    powered_off = carrier(
        tmp_path, "off", "您拨打的电话已关机", "480 Temporarily Unavailable", calls=2
    )
    busy = carrier(tmp_path, "busy", "您拨打的电话正在通话中，请稍后再拨", "486 Busy Here", 2)
    unreachable = carrier(
        tmp_path, "away", "您拨打的电话暂时无法接通，请稍后再拨", "408 Request Timeout", 2
    )
    invalid = carrier(tmp_path, "void", "您拨打的号码是空号，请查证后再拨", "404 Not Found", 1)
    barred = carrier(tmp_path, "barred", "您拨打的用户已设置呼入限制", "403 Forbidden", 1)
    # A carrier that answers, then plays its announcement: no survey, and no answers kept.
    suspended_audio, _ = announcement("您拨打的电话已停机", tmp_path / "stopped.ul")
    suspended = SippCallee("callee_speaks", tmp_path / "stopped", calls=1, answers=suspended_audio)
    # A 彩铃, then the callee picks up and answers the survey on the same stream.
    tune = ring_back_tune(4.0)
    answers = answers_file(HAPPY, tmp_path / "happy.ul").with_suffix(".wav")
    spoken, _ = soundfile.read(answers, dtype="int16")
    with_tune = write_ulaw(
        write_wav(tmp_path / "tuned.wav", np.concatenate([tune, spoken]), RATE),
        tmp_path / "tuned.ul",
    )
    picks_up = SippCallee("callee_ringback", tmp_path / "tuned", audio=with_tune, ring_ms=4000)
    # A 彩铃 until the network gives up: a plain no-answer, called again.
    tune_only = write_ulaw(write_wav(tmp_path / "tune.wav", tune, RATE), tmp_path / "tune.ul")
    never = SippCallee(
        "callee_announces",
        tmp_path / "never",
        calls=2,
        announcement=tune_only,
        play_ms=4000,
        status="480 Temporarily Unavailable",
    )
    callees = (powered_off, busy, unreachable, invalid, barred, suspended, picks_up, never)
    contacts_csv = "phone,name\n" + "".join(f"{callee.uri},王先生\n" for callee in callees)
    try:
        created = await create(
            worker,
            contacts_csv,
            windows="00:00-23:59",
            max_concurrent=4,
            attempts=2,
            retry_delay_s=1,
            later_retry_delay_s=2,
        )
        status = await wait_finished(worker, created["id"], timeout=300)
        contacts = await contacts_of(worker, created["id"])
        outcome = {phone: (c["outcome"], len(c["attempts"])) for phone, c in contacts.items()}
        assert outcome == {
            powered_off.uri: ("powered_off", 2),  # retried later
            busy.uri: ("busy", 2),
            unreachable.uri: ("unreachable", 2),
            invalid.uri: ("invalid_number", 1),  # never again
            barred.uri: ("barred", 1),
            suspended.uri: ("suspended", 1),
            picks_up.uri: ("completed", 1),
            never.uri: ("no_answer", 2),
        }, contacts
        assert status["progress"] == 1.0
        statuses = {
            phone: [a["sip_status"] for a in c["attempts"]] for phone, c in contacts.items()
        }
        assert statuses[powered_off.uri] == [480, 480] and statuses[invalid.uri] == [404]
        assert statuses[suspended.uri] == [200] and statuses[never.uri] == [480, 480]
        # What the carrier said is kept as the evidence behind each announced outcome.
        for callee in (powered_off, busy, unreachable, invalid, barred, suspended):
            assert contacts[callee.uri]["attempts"][-1]["announcement"], contacts[callee.uri]
        assert contacts[never.uri]["attempts"][-1]["announcement"] is None
        assert contacts[suspended.uri]["answers"] is None
        happy = contacts[picks_up.uri]["answers"]
        assert (happy["resolved"], happy["satisfaction"]) == (True, "satisfied")
        async with worker.api() as client:
            export = (await client.get(f"/api/campaigns/{created['id']}/export")).text
        rows = {row["phone"]: row for row in csv.DictReader(export.splitlines())}
        assert rows[invalid.uri]["outcome"] == "invalid_number"
        heard = contacts[invalid.uri]["attempts"][0]["announcement"]
        assert rows[invalid.uri]["announcement_heard"] == heard
    finally:
        for callee in callees:
            await callee.stop()
