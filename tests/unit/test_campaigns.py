"""Campaign building blocks: contact import, calling windows, outcomes, the report."""

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.calls.record import CallRecord, Turn
from bot.campaigns.call_data import survey_call_data
from bot.campaigns.contacts import read_contacts
from bot.campaigns.dialer import CallResult, asked_not_to_call, outcome_of_call
from bot.campaigns.model import Attempt, CallingWindows, Campaign, Contact, Outcome
from bot.campaigns.report import export_csv, export_json, summary
from bot.config import load_settings
from bot.flows.flow_set import load_flows
from bot.flows.templates import optional_parts, render
from bot.tickets.ticket import Ticket

DIALOGS = Path(__file__).resolve().parents[2] / "dialogs"

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
        "13900139000,N/A,李女士\n"
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
        (7, "ticket_id 'N/A' is not a work-order id (1-40 letters, digits, - _ /, with a digit)"),
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
    words = {"resolved": "早就修好了", "satisfaction": "挺满意的"}
    completed = record(
        survey(resolved=True, satisfaction="satisfied", comment="没有", evidence=words)
    )
    assert outcome_of_call(completed) == CallResult(
        Outcome.COMPLETED, {"resolved": True, "satisfaction": "satisfied", "comment": "没有"}, words
    )
    later = record(survey(callback_time="下午三点"), {"type": "hangup", "step": None})
    assert outcome_of_call(later) == CallResult(Outcome.CALL_LATER, {"callback_time": "下午三点"})
    wrong = record({"type": "hangup", "step": "wrong_person"})
    assert outcome_of_call(wrong) == CallResult(Outcome.WRONG_NUMBER)
    assert outcome_of_call(record({"type": "hangup", "step": None})).outcome == Outcome.REFUSED


def test_summary_and_export() -> None:
    campaign = Campaign(id="c1", created_at=0, max_concurrent=2)
    done = Contact(
        phone="13800138000",
        name="王先生",
        outcome=Outcome.COMPLETED,
        done=True,
        answers={"resolved": True, "satisfaction": "satisfied", "comment": "好"},
        evidence={"resolved": "修好了", "satisfaction": "挺满意", "comment": "好"},
        category="城市供暖",
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
    assert rows[0].endswith(
        "resolved_said,satisfaction_said,comment_said,callback_time_said,do_not_call_said,"
        "announcement_heard"
    )
    assert (
        "13800138000,,王先生,completed,yes,1,yes,satisfied,好,,100.0,城市供暖,,,修好了,挺满意,好,,,"
        in rows
    )
    assert "13700137000,,,pending,no,0,,,,,,,,,,,,,," in rows
    [exported] = json.loads(export_json("c1", [done]))
    assert exported["idempotency_key"] == "c1:13800138000"
    assert exported["answers"]["resolved"] == {"value": True, "said": "修好了"}


def test_a_callback_time_is_the_next_time_the_clock_shows_it() -> None:
    windows = CallingWindows("09:00-12:00,14:00-20:00", "Asia/Shanghai")
    assert windows.next_local_time("15:00", at(10)) == at(15)
    assert windows.next_local_time("9:30", at(10)) == at(9, 30, day=25)
    assert windows.next_local_time("下午", at(10)) is None
    assert windows.next_local_time("25:00", at(10)) is None


@pytest.mark.parametrize(
    "ticket", ["T1", "SZ-2026-000123", "12345-20261130-0007", "GD/2026/17", "wo_88", "7"]
)
def test_work_order_ids_of_any_centre_are_taken(ticket: str) -> None:
    imported = read_contacts(f"phone,ticket_id\n13800138000,{ticket}\n", set())
    assert [c.ticket_id for c in imported.contacts] == [ticket] and not imported.problems


@pytest.mark.parametrize(
    "ticket", ["N/A", "-", "--1", "T 1", "工单1", "T1;DROP", "T1-", "1" * 41, "null"]
)
def test_garbage_work_order_ids_are_refused_row_by_row(ticket: str) -> None:
    imported = read_contacts(f'phone,ticket_id\n13800138000,"{ticket}"\n13900139000,T2\n', set())
    assert [c.ticket_id for c in imported.contacts] == ["T2"]
    [problem] = imported.problems
    assert problem.row == 2 and problem.reason.startswith(f"ticket_id '{ticket.strip()}' is not")


def test_optional_columns_are_read_checked_and_merged() -> None:
    csv = (
        "phone,ticket_id,name,category,summary,reported,department\n"
        "13800138000,T1,王先生,城市供暖,家里暖气不热,2026-11-20,市住建局\n"
        "13800138000,T1,,,,,\n"  # a duplicate: merged, nothing lost
        "13900139000,T2,,,,2026/11/21 09:30,\n"
        "13700137000,T3,,,,2026-13-01,\n"
        "13600136000,T4,,,,2027-01-01,\n"
        f"13500135000,T5,,,{'长' * 41},,\n"
    )
    imported = read_contacts(csv, set(), today=dt.date(2026, 12, 2))
    first, second = imported.contacts
    assert (first.category, first.summary, first.department) == (
        "城市供暖",
        "家里暖气不热",
        "市住建局",
    )
    assert first.reported == dt.date(2026, 11, 20) and second.reported == dt.date(2026, 11, 21)
    assert imported.duplicates_merged == 1
    assert [(p.row, p.reason) for p in imported.problems] == [
        (5, "reported '2026-13-01' is not a date like 2026-11-20"),
        (6, "reported '2027-01-01' is in the future"),
        (7, "summary longer than 40 characters"),
    ]


def opening(**contact: Any) -> str:
    """What the survey says about the request, for a contact (and a bot-issued ticket)."""
    flow = load_flows([DIALOGS]).flow("survey")
    [step] = [s for s in flow.steps if s.id == "about"]
    ticket = contact.pop("ticket", None)
    data = survey_call_data(Contact(phone="13800138000", **contact), ticket, SHANGHAI)
    return render(step.confirm, data.values())  # type: ignore[union-attr]


def test_the_survey_names_the_request_from_what_is_given() -> None:
    full = opening(
        ticket_id="T1",
        category="城市供暖",
        summary="暖气不热",
        reported=dt.date(2026, 11, 20),
        department="市住建局",
    )
    assert full.startswith(
        "关于您11月20日向我们反映的城市供暖问题（暖气不热），工单号T1，市住建局已经办理，"
    )
    assert opening(ticket_id="SZ-2026-000123", category="噪音扰民").startswith(
        "关于您向我们反映的噪音扰民问题，工单号SZ-2026-000123，想占用"
    )
    assert opening(reported=dt.date(2026, 11, 3)).startswith(
        "关于您11月3日向我们反映的问题，想占用"
    )
    nothing = opening()
    assert nothing.startswith("关于您向我们反映的问题，想占用您一分钟做个回访")
    # A ticket the bot issued fills in what the file leaves out.
    issued = Ticket(
        number="202611240101",
        category="物业管理",
        department="区住建局",
        created_at=at(10),
        updated_at=at(10),
    )
    assert opening(ticket_id="202611240101", ticket=issued).startswith(
        "关于您11月24日向我们反映的物业管理问题，工单号202611240101，想占用"
    )
    for text in (full, nothing, opening(category="城市供暖")):
        assert "None" not in text and "{" not in text and "[" not in text and "，，" not in text


def test_optional_parts_must_hold_a_placeholder_and_pair_up() -> None:
    assert render("您好[，{name}]。", {"name": None}) == "您好。"
    assert render("您好[，{name}]。", {"name": "王先生"}) == "您好，王先生。"
    assert render("[{a}和{b}]", {"a": "甲", "b": ""}) == ""
    with pytest.raises(ValueError, match="no placeholder"):
        optional_parts("您好[，先生]")
    with pytest.raises(ValueError, match="without its pair"):
        optional_parts("您好[{name}")


def test_a_callee_asking_not_to_be_called_again_is_heard() -> None:
    phrases = [re.compile(p) for p in load_settings().campaigns.do_not_call_phrases]
    call = CallRecord(id="c", channel="sip", started_at=0)
    call.turns = [Turn(index=0, bot_text="您好"), Turn(index=1, caller_text="是我")]
    assert asked_not_to_call(call, phrases) is None
    for said in ("以后别给我打了", "不要再打了，烦不烦", "你们别再打电话了", "以后不用再联系我了"):
        call.turns.append(Turn(index=2, caller_text=said))
        assert asked_not_to_call(call, phrases) == said
        call.turns.pop()
    for said in ("我不要再打扰你了吧", "已经解决了，不用再打了", "方便，你说吧"):
        call.turns.append(Turn(index=2, caller_text=said))
        assert asked_not_to_call(call, phrases) is None
        call.turns.pop()
