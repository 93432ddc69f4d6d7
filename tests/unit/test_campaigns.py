"""Campaign building blocks: contact import, calling windows, outcomes, the report."""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from bot.calls.record import CallRecord
from bot.campaigns.contacts import read_contacts
from bot.campaigns.dialer import outcome_of_call
from bot.campaigns.model import Attempt, CallingWindows, Campaign, Contact, Outcome
from bot.campaigns.report import export_csv, summary

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 24) -> float:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).timestamp()


def test_rows_are_taken_merged_skipped_or_reported() -> None:
    csv = (
        "\ufeffPhone,Ticket_ID,Name\n"
        "138 0013 8000,202611240001,王先生\n"
        "+8613800138000,,\n"  # the same number: merged
        "13800138000,,王先生\n"
        "12345,,\n"
        ",202611240002,没有号码\n"
        "13900139000,12ab,李女士\n"
        "010-12345678,,单位\n"
        "13700137000,,免打扰\n"
        "sip:8001@pbx.example,,分机\n"
    )
    imported = read_contacts(csv, do_not_call={"13700137000"})
    assert [c.phone for c in imported.contacts] == [
        "13800138000",
        "01012345678",
        "sip:8001@pbx.example",
    ]
    assert imported.contacts[0].ticket_id == "202611240001"
    assert imported.duplicates_merged == 2
    assert imported.do_not_call_skipped == 1
    assert [(p.row, p.reason) for p in imported.problems] == [
        (5, "'12345' is not a phone number"),
        (6, "no phone number"),
        (7, "ticket_id '12ab' is not a ticket number"),
    ]


def test_a_file_without_a_phone_column_is_refused() -> None:
    imported = read_contacts("number,name\n13800138000,x\n", set())
    assert imported.contacts == []
    assert imported.problems[0].reason == "the header has no 'phone' column"


def test_calling_windows_in_the_centres_time_zone() -> None:
    windows = CallingWindows("09:00-12:00,14:00-20:00", "Asia/Shanghai")
    assert windows.is_open(at(9)) and windows.is_open(at(19, 59))
    assert not windows.is_open(at(8, 59)) and not windows.is_open(at(12, 30))
    assert not windows.is_open(at(20))
    assert windows.next_open(at(12, 30)) == at(14)
    assert windows.next_open(at(21)) == at(9, day=25)
    assert windows.next_open(at(10)) == at(10)


@pytest.mark.parametrize("spec", ["9-12", "12:00-09:00", "09:00-12:00,x"])
def test_bad_windows_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="calling window"):
        CallingWindows(spec, "Asia/Shanghai")


def record(*events: dict[str, object]) -> CallRecord:
    return CallRecord(id="c", channel="sip", started_at=time.time(), events=list(events))


def survey(**answers: object) -> dict[str, object]:
    base = {"resolved": None, "satisfaction": None, "comment": None, "callback_time": None}
    return {"type": "survey_recorded", "survey": {**base, **answers}}


def test_outcomes_from_what_the_dialogue_recorded() -> None:
    completed = record(survey(resolved=True, satisfaction="satisfied", comment="没有"))
    assert outcome_of_call(completed) == (
        Outcome.COMPLETED,
        {"resolved": True, "satisfaction": "satisfied", "comment": "没有"},
    )
    later = record(survey(callback_time="下午三点"), {"type": "hangup", "step": None})
    assert outcome_of_call(later) == (Outcome.CALL_LATER, {"callback_time": "下午三点"})
    wrong = record({"type": "hangup", "step": "wrong_person"})
    assert outcome_of_call(wrong) == (Outcome.WRONG_NUMBER, None)
    assert outcome_of_call(record({"type": "hangup", "step": None})) == (Outcome.REFUSED, None)


def test_summary_and_export() -> None:
    campaign = Campaign(id="c1", created_at=0, max_concurrent=2)
    done = Contact(
        phone="13800138000",
        name="王先生",
        outcome=Outcome.COMPLETED,
        done=True,
        answers={"resolved": True, "satisfaction": "satisfied", "comment": "好"},
        attempts=[Attempt(number=1, started_at=100, ended_at=160, entry="1-0")],
    )
    retry = Contact(
        phone="13900139000",
        outcome=Outcome.BUSY,
        attempts=[Attempt(number=1, started_at=100, ended_at=120, entry="2-0")],
    )
    pending = Contact(phone="13700137000")
    report = summary(campaign, [done, retry, pending], in_flight=1, now=200)
    assert (report["finished"], report["contacts"], report["progress"]) == (1, 3, 0.333)
    assert report["outcomes"]["completed"] == 1 and report["to_retry"] == {"busy": 1}
    assert report["eta_s"] == 40.0  # 40 s per attempt × 2 left ÷ 2 lines
    rows = export_csv([done, retry, pending]).splitlines()
    assert rows[0].startswith("phone,ticket_id,name,outcome,finished,attempts,resolved")
    assert "13800138000,,王先生,completed,yes,1,yes,satisfied,好,,100.0" in rows
    assert "13700137000,,,pending,no,0,,,,," in rows


def test_a_callback_time_is_the_next_time_the_clock_shows_it() -> None:
    windows = CallingWindows("09:00-12:00,14:00-20:00", "Asia/Shanghai")
    assert windows.next_local_time("15:00", at(10)) == at(15)
    assert windows.next_local_time("9:30", at(10)) == at(9, 30, day=25)
    assert windows.next_local_time("下午", at(10)) is None
    assert windows.next_local_time("25:00", at(10)) is None
