"""The supervisor overview: live calls masked, the escalation queue, today's figures."""

import datetime as dt
from zoneinfo import ZoneInfo

from bot.calls.overview import mask_number, overview
from bot.calls.record import CallRecord, Turn

NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def call(id: str, started: float, ended: float | None, **fields: object) -> CallRecord:
    return CallRecord(
        id=id, channel="sip", caller="13800138000", started_at=started, ended_at=ended, **fields
    )  # type: ignore[arg-type]


def test_numbers_are_masked() -> None:
    assert mask_number("13800138000") == "138****8000"
    assert mask_number("110") == "1**"
    assert mask_number(None) == "未知"


def test_live_calls_queue_and_todays_figures() -> None:
    live = call(
        "live",
        NOW - 42,
        None,
        interim="我想问一下",
        turns=[Turn(index=0, bot_text="您好", speech_end=NOW - 10, first_audio_out=NOW - 9.4)],
    )
    bot_done = call(
        "done",
        NOW - 3600,
        NOW - 3500,
        events=[{"type": "ticket_created", "ticket": {"number": "202611240001"}}],
    )
    escalated = call(
        "esc",
        NOW - 600,
        NOW - 500,
        events=[
            {
                "type": "transfer",
                "reason": "anger",
                "flow": "complaint",
                "at": NOW - 550,
                "slots": {},
                "caller_said": ["太吵了"],
            }
        ],
    )
    yesterday = call("old", NOW - 86400, NOW - 86300)
    stale = call("stale", NOW - 5 * 3600, None)
    view = overview([live, bot_done, escalated, yesterday, stale], NOW)
    assert [c["id"] for c in view["live"]] == ["live"]
    row = view["live"][0]
    assert (row["caller"], row["state"], row["duration_s"]) == (
        "138****8000",
        "caller speaking",
        42,
    )
    assert [c["call_id"] for c in view["queue"]] == ["esc"]
    assert view["queue"][0]["caller"] == "138****8000" and "情绪激动" in view["queue"][0]["summary"]
    assert view["today"] == {
        "calls": 4,
        "resolved_by_bot": 1,
        "escalated": 1,
        "tickets_created": 1,
        "average_latency_ms": 600,
    }
