"""A campaign's resolution and satisfaction rates by department, category and day."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.campaigns.model import Attempt, Campaign, Contact, Outcome
from bot.campaigns.rates import rates, rates_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAMPAIGN = Campaign(id="c1", created_at=0)


def contact(
    phone: str, answers: dict[str, Any] | None, day: int = 1, hour: int = 10, **fields: Any
) -> Contact:
    started = dt.datetime(2026, 12, day, hour, tzinfo=SHANGHAI).timestamp()
    attempt = Attempt(number=1, started_at=started, call_id=f"call-{phone}", entry="1-0")
    return Contact(
        phone=phone,
        attempts=[attempt],
        answers=answers,
        outcome=Outcome.COMPLETED if answers else Outcome.NO_ANSWER,
        done=True,
        **fields,
    )


CONTACTS = [
    contact(
        "1",
        {"resolved": True, "satisfaction": "satisfied"},
        department="市住建局",
        category="城市供暖",
    ),
    contact(
        "2",
        {"resolved": False, "satisfaction": "dissatisfied"},
        department="市住建局",
        category="城市供暖",
    ),
    contact(
        "3", {"resolved": True, "satisfaction": "basically_satisfied"}, department="区城管局", day=2
    ),
    # Answered whether it was solved, then hung up before the satisfaction question.
    contact("4", {"resolved": True, "satisfaction": None}, department="区城管局", day=2, hour=23),
    contact("5", None, department="区城管局"),  # never answered: in no rate
]


def test_rates_by_department_count_only_the_answers_given() -> None:
    by_department = {r.group: r for r in rates(CAMPAIGN, CONTACTS, "department")}
    assert list(by_department) == ["区城管局", "市住建局"]
    city = by_department["区城管局"]
    assert (city.answered, city.resolved, city.resolution_answers) == (2, 2, 2)
    assert (city.satisfied, city.satisfaction_answers) == (1, 1)  # 基本满意 counts as satisfied
    assert (city.resolution_rate, city.satisfaction_rate) == (1.0, 1.0)
    housing = by_department["市住建局"]
    assert (housing.resolution_rate, housing.satisfaction_rate, housing.dissatisfied) == (
        0.5,
        0.5,
        1,
    )


def test_a_missing_column_is_a_group_of_its_own_and_days_are_local() -> None:
    assert [r.group for r in rates(CAMPAIGN, CONTACTS, "category")] == ["城市供暖", "未注明"]
    # 23:00 in Shanghai on 2 December is still 2 December there (15:00 UTC).
    days = {r.group: r.answered for r in rates(CAMPAIGN, CONTACTS, "day")}
    assert days == {"2026-12-01": 2, "2026-12-02": 2}


def test_the_numbers_behind_the_charts_download_as_csv() -> None:
    lines = rates_csv("department", rates(CAMPAIGN, CONTACTS, "department")).splitlines()
    assert lines[0].startswith("department,answered,resolved,resolution_answers,resolution_rate")
    assert lines[1] == "区城管局,2,2,2,1.0,1,0,1,1.0"
    assert lines[2] == "市住建局,2,1,2,0.5,1,1,2,0.5"


def test_no_answers_no_rate() -> None:
    [only] = rates(CAMPAIGN, [contact("9", {"resolved": None, "satisfaction": "satisfied"})], "day")
    assert only.resolution_rate is None and only.satisfaction_rate == 1.0
    assert rates(CAMPAIGN, [contact("8", None)], "department") == []
