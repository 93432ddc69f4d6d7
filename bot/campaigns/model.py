"""A campaign, its contacts and what each call attempt came to."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Outcome(StrEnum):
    COMPLETED = "completed"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REJECTED = "rejected"
    FAILED = "failed"
    CALL_LATER = "call_later"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    OPTED_OUT = "opted_out"  # asked not to be called again: on the do-not-call list
    MACHINE = "machine"  # a call-screening assistant, voicemail or switchboard answered
    # What the carrier announced instead of connecting the call (关机, 无法接通, 空号 …).
    POWERED_OFF = "powered_off"
    UNREACHABLE = "unreachable"
    INVALID_NUMBER = "invalid_number"
    SUSPENDED = "suspended"
    BARRED = "barred"  # the callee's line refuses incoming calls (呼入限制)


# Outcomes worth another attempt (while attempts remain), after `retry_delay_s` …
RETRY = {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.FAILED, Outcome.CALL_LATER, Outcome.MACHINE}
# … or, for a phone that is off or out of reach, after `later_retry_delay_s`. Never again:
# a number that does not exist or is suspended, a line that bars incoming calls.
RETRY_LATER = {Outcome.POWERED_OFF, Outcome.UNREACHABLE}
# The outcomes a carrier's announcement can give (busy too: 正在通话中).
ANNOUNCED = (
    Outcome.POWERED_OFF,
    Outcome.UNREACHABLE,
    Outcome.INVALID_NUMBER,
    Outcome.SUSPENDED,
    Outcome.BUSY,
    Outcome.BARRED,
)


class CallingWindows:
    """When the centre may call, in its own time zone: "09:00-12:00,14:00-20:00"."""

    def __init__(self, spec: str, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.spans: list[tuple[dt.time, dt.time]] = []
        for part in spec.split(","):
            match = _WINDOW.match(part.strip())
            if match is None:
                raise ValueError(f"calling window '{part.strip()}' is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(group) for group in match.groups())
            start, end = dt.time(h1, m1), dt.time(h2, m2)
            if not start < end:
                raise ValueError(f"calling window '{part.strip()}' ends before it starts")
            self.spans.append((start, end))

    def is_open(self, at: float) -> bool:
        local = dt.datetime.fromtimestamp(at, self.zone).time()
        return any(start <= local < end for start, end in self.spans)

    def next_local_time(self, clock: str, after: float) -> float | None:
        """The next moment after `after` when the local clock shows `clock` ("15:00")."""
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", clock.strip())
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            return None
        local = dt.datetime.fromtimestamp(after, self.zone)
        moment = local.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
        if moment.timestamp() <= after:
            moment += dt.timedelta(days=1)
        return moment.timestamp()

    def next_open(self, at: float) -> float:
        """`at` if the window is open then, else the next opening (seconds since the epoch)."""
        if self.is_open(at):
            return at
        local = dt.datetime.fromtimestamp(at, self.zone)
        for days in range(0, 8):
            day = (local + dt.timedelta(days=days)).date()
            for start, _ in sorted(self.spans):
                opening = dt.datetime.combine(day, start, self.zone)
                if opening.timestamp() > at:
                    return opening.timestamp()
        raise ValueError("calling windows never open")


class CampaignSettings(BaseModel):
    """What a supervisor chooses when creating a campaign."""

    flow: str = Field(default="survey", description="The flow each answered call runs")
    windows: str = Field(
        default="09:00-12:00,14:00-20:00", description="Calling windows, local time"
    )
    timezone: str = Field(default="Asia/Shanghai", description="The centre's time zone")
    max_concurrent: int = Field(default=2, ge=1, le=100, description="Calls at once")
    attempts: int = Field(default=3, ge=1, le=10, description="Attempts per contact")
    retry_delay_s: float = Field(default=1800, ge=0, description="Wait before another attempt")
    later_retry_delay_s: float = Field(
        default=7200,
        ge=0,
        description="Wait before calling a phone that was switched off or out of reach again",
    )
    start_at: float | None = Field(default=None, description="Unix time; default now")
    trunk: str | None = Field(default=None, description="SIP trunk (sip.trunks); default first")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception as exc:
            raise ValueError(f"unknown time zone '{value}'") from exc
        return value

    @field_validator("windows")
    @classmethod
    def _valid_windows(cls, value: str) -> str:
        CallingWindows(value, "UTC")
        return value

    def calling_windows(self) -> CallingWindows:
        return CallingWindows(self.windows, self.timezone)


class RowProblem(BaseModel):
    row: int = Field(description="Line number in the CSV file (the header is row 1)")
    reason: str


class Campaign(CampaignSettings):
    id: str
    status: Literal["active", "paused", "cancelled", "finished"] = "active"
    created_at: float
    contacts: int = 0
    duplicates_merged: int = 0
    do_not_call_skipped: int = 0
    rejected_rows: list[RowProblem] = Field(default_factory=list)


class Attempt(BaseModel):
    number: int
    started_at: float
    ended_at: float | None = None
    outcome: Outcome | None = None
    sip_status: int | None = None
    call_id: str | None = Field(default=None, description="Call record of an answered attempt")
    announcement: str | None = Field(
        default=None, description="The carrier's announcement, as heard, behind the outcome"
    )
    entry: str = Field(description="Dialer queue entry that carried the attempt")


class OptOut(BaseModel):
    """A callee's request not to be called again, kept with the do-not-call entry."""

    said: str = Field(description="The callee's words")
    campaign_id: str
    call_id: str | None = None
    at: float


class Contact(BaseModel):
    phone: str
    ticket_id: str | None = Field(
        default=None, description="The work order, in any id format the centre uses"
    )
    name: str | None = None
    category: str | None = Field(default=None, description="The request's category, as spoken")
    summary: str | None = Field(default=None, description="A short summary the script may speak")
    reported: dt.date | None = Field(default=None, description="When the request was reported")
    department: str | None = Field(default=None, description="The department that handled it")
    attempts: list[Attempt] = Field(default_factory=list)
    outcome: Outcome | None = None
    answers: dict[str, Any] | None = Field(
        default=None, description="resolved, satisfaction, comment"
    )
    evidence: dict[str, str] = Field(
        default_factory=dict, description="The callee's words behind each answer"
    )
    do_not_call: str | None = Field(
        default=None, description="The callee's words asking not to be called again"
    )
    done: bool = False
