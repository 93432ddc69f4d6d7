"""What supervisors watch: live calls, the escalation queue, and today's figures."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any
from zoneinfo import ZoneInfo

from bot.calls.handover import handover
from bot.calls.record import CallRecord
from bot.dialogue.events import TicketCreated, Transfer
from bot.privacy import mask_number

# A record never closed (its worker died) stops counting as live after this long.
STALE_S = 4 * 3600


def _transfer(record: CallRecord) -> Transfer | None:
    events = record.dialogue_events(Transfer)
    return events[-1] if events else None


def _state(record: CallRecord) -> str:
    transferred = [event for event in record.events if event["type"] == "transferred"]
    if transferred:
        return "with agent" if transferred[-1]["outcome"] == "bridged" else "back with bot"
    if _transfer(record):
        return "escalated"
    return "caller speaking" if record.interim else "in dialogue"


def _live(record: CallRecord, now: float) -> dict[str, Any]:
    transfer = _transfer(record)
    last = record.turns[-1] if record.turns else None
    return {
        "id": record.id,
        "caller": mask_number(record.caller),
        "channel": record.channel,
        "direction": record.direction,
        "flow": transfer.flow if transfer else None,
        "state": _state(record),
        "duration_s": round(now - record.started_at),
        "escalated": transfer is not None,
        "angry": bool(transfer and transfer.reason == "anger"),
        "interim": record.interim,
        "last_said": last.caller_text if last else None,
    }


def overview(
    records: list[CallRecord], now: float, timezone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    zone = ZoneInfo(timezone)
    today = dt.datetime.fromtimestamp(now, zone).date()
    todays = [r for r in records if dt.datetime.fromtimestamp(r.started_at, zone).date() == today]
    latencies = [t.latency_ms for r in todays for t in r.turns if t.latency_ms is not None]
    escalated = [r for r in todays if _transfer(r)]
    return {
        "live": [
            _live(r, now) for r in records if r.ended_at is None and now - r.started_at < STALE_S
        ],
        "queue": [
            {
                **handover(r),
                "caller": mask_number(r.caller),
                "started_at": r.started_at,
                "transcript": None,
            }
            for r in escalated
        ],
        "today": {
            "calls": len(todays),
            "resolved_by_bot": sum(1 for r in todays if r.ended_at and not _transfer(r)),
            "escalated": len(escalated),
            "tickets_created": sum(len(r.dialogue_events(TicketCreated)) for r in todays),
            "average_latency_ms": round(statistics.fmean(latencies)) if latencies else None,
        },
    }
