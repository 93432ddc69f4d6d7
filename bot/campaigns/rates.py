"""Resolution and satisfaction rates of a campaign's answered callbacks, by department,
category or day: what a duty lead reads at a glance, and the numbers behind the charts.

A rate counts only the callees who gave that answer: a survey ended before its satisfaction
question counts towards resolution, not satisfaction. 基本满意 counts as satisfied, as 12345
centres report their 满意率 (满意 + 基本满意).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from bot.campaigns.model import Campaign, Contact

Grouping = Literal["department", "category", "day"]
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
UNNAMED = "未注明"  # a contact row without the column grouped by


@dataclass(frozen=True)
class Rates:
    """One group's answered callbacks."""

    group: str
    answered: int  # callees who answered at least one survey question
    resolved: int
    resolution_answers: int
    satisfied: int  # 满意 or 基本满意
    dissatisfied: int
    satisfaction_answers: int

    @property
    def resolution_rate(self) -> float | None:
        return _share(self.resolved, self.resolution_answers)

    @property
    def satisfaction_rate(self) -> float | None:
        return _share(self.satisfied, self.satisfaction_answers)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _group_of(campaign: Campaign, by: Grouping) -> Callable[[Contact], str]:
    zone = ZoneInfo(campaign.timezone)

    def day(contact: Contact) -> str:
        answered = [a for a in contact.attempts if a.call_id] or contact.attempts
        if not answered:
            return UNNAMED
        return dt.datetime.fromtimestamp(answered[-1].started_at, zone).date().isoformat()

    if by == "day":  # the day the callee answered, in the centre's time zone
        return day
    return lambda contact: getattr(contact, by) or UNNAMED


def rates(campaign: Campaign, contacts: list[Contact], by: Grouping) -> list[Rates]:
    """Each group's rates, groups in order (days by date, others by name)."""
    group_of = _group_of(campaign, by)
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for contact in contacts:
        answers = contact.answers or {}
        if answers.get("resolved") is not None or answers.get("satisfaction"):
            groups[group_of(contact)].append(answers)
    return [_rates(group, groups[group]) for group in sorted(groups)]


def _rates(group: str, answers: list[dict[str, object]]) -> Rates:
    resolution = [a["resolved"] for a in answers if a.get("resolved") is not None]
    satisfaction = [a["satisfaction"] for a in answers if a.get("satisfaction")]
    return Rates(
        group=group,
        answered=len(answers),
        resolved=sum(value is True for value in resolution),
        resolution_answers=len(resolution),
        satisfied=sum(value in SATISFIED for value in satisfaction),
        dissatisfied=sum(value == "dissatisfied" for value in satisfaction),
        satisfaction_answers=len(satisfaction),
    )


CSV_COLUMNS = (
    "group",
    "answered",
    "resolved",
    "resolution_answers",
    "resolution_rate",
    "satisfied",
    "dissatisfied",
    "satisfaction_answers",
    "satisfaction_rate",
)


def rates_csv(by: Grouping, rows: list[Rates]) -> str:
    """The numbers behind the charts, one row per group (the first column named `by`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((by, *CSV_COLUMNS[1:]))
    for row in rows:
        writer.writerow(
            (
                row.group,
                row.answered,
                row.resolved,
                row.resolution_answers,
                "" if row.resolution_rate is None else row.resolution_rate,
                row.satisfied,
                row.dissatisfied,
                row.satisfaction_answers,
                "" if row.satisfaction_rate is None else row.satisfaction_rate,
            )
        )
    return out.getvalue()
