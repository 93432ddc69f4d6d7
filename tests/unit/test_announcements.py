"""Carrier announcements: which outcome each gives, and when a campaign calls again."""

import time

import pytest
from pydantic import ValidationError

from bot.calls.record import CallRecord, Turn
from bot.campaigns.announcements import Announcements
from bot.campaigns.dialer import CallResult, CampaignDialer, announced_after_answer
from bot.campaigns.model import Attempt, Campaign, Outcome
from bot.config import CampaignsConfig, load_settings

ANNOUNCEMENTS = Announcements(load_settings().campaigns.announcements)


@pytest.mark.parametrize(
    ("heard", "outcome"),
    [
        ("您拨打的电话已关机。", Outcome.POWERED_OFF),
        ("Sorry, the subscriber you dialed is power off.", Outcome.POWERED_OFF),
        ("您拨打的用户暂时无法接通，请稍后再拨。", Outcome.UNREACHABLE),
        ("您拨打的电话不在服务区", Outcome.UNREACHABLE),
        ("您拨打的号码是空号，请查证后再拨。", Outcome.INVALID_NUMBER),
        ("对不起，您拨打的号码已停机。", Outcome.SUSPENDED),
        ("您拨打的电话正在通话中，请稍后再拨。", Outcome.BUSY),
        ("您拨打的用户已设置呼入限制", Outcome.BARRED),
        # As a recogniser on a phone line writes them: the same sounds, other characters.
        ("您拨打的电话以观机", Outcome.POWERED_OFF),
        ("您拨打的电话再时无法接通", Outcome.UNREACHABLE),  # one syllable off, of six
        ("对不起,您拨打的后码不存在", Outcome.INVALID_NUMBER),
        ("您拨打的号码已听机", Outcome.SUSPENDED),
        ("你拨打的用户呼入现制", Outcome.BARRED),
    ],
)
def test_each_announcement_gives_its_outcome(heard: str, outcome: Outcome) -> None:
    assert ANNOUNCEMENTS.heard(heard) is outcome


@pytest.mark.parametrize(
    "heard",
    [
        "喂，你好，哪位？",
        "我刚才手机关机了，没接到电话",  # a person, about their phone
        "是我，你说吧",
        "嗯，早就修好了",
        "",
        # Music the recogniser wrote words for, and an announcement that says two things.
        "字幕由Amara.org社区提供",
        "您拨打的电话已关机，您拨打的号码是空号",
    ],
)
def test_what_is_no_announcement_or_unclear_gives_none(heard: str) -> None:
    assert ANNOUNCEMENTS.heard(heard) is None


def test_the_recogniser_is_told_what_announcements_say() -> None:
    prompt = ANNOUNCEMENTS.prompt(80)
    assert prompt.startswith("已关机，暂时无法接通，是空号，已停机，正在通话中，呼入限制，")
    assert prompt.endswith("。您拨打的电话") and len(prompt) <= 80
    assert "power off" not in prompt
    assert "您拨打的电话已关机" not in prompt  # a whole announcement is no echo of it
    assert ANNOUNCEMENTS.prompt(20) == "已关机，暂时无法接通。您拨打的电话"


def test_only_announced_outcomes_can_be_configured() -> None:
    with pytest.raises(ValidationError, match="'completed' is not an announced outcome"):
        CampaignsConfig(dialer=False, tick_s=1, lease_s=15, announcements={"completed": ["已完成"]})


def answered(*caller_said: str) -> CallRecord:
    turns = [Turn(index=n, caller_text=text, bot_text="您好") for n, text in enumerate(caller_said)]
    return CallRecord(id="c", channel="sip", started_at=time.time(), turns=turns)


def test_an_announcement_after_an_answer_is_the_first_thing_heard() -> None:
    record = answered("您拨打的电话暂时无法接通，请稍后再拨")
    assert announced_after_answer(record, ANNOUNCEMENTS) == CallResult(
        Outcome.UNREACHABLE, announcement="您拨打的电话暂时无法接通，请稍后再拨"
    )
    # A person who mentions it later is a person.
    assert announced_after_answer(answered("喂", "我那个电话已停机了"), ANNOUNCEMENTS) is None


def campaign(**settings: object) -> Campaign:
    return Campaign(
        id="k",
        created_at=0,
        windows="00:00-23:59",
        attempts=3,
        retry_delay_s=60,
        later_retry_delay_s=3600,
        **settings,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("outcome", "wait_s"),
    [
        (Outcome.BUSY, 60.0),
        (Outcome.NO_ANSWER, 60.0),
        (Outcome.POWERED_OFF, 3600.0),
        (Outcome.UNREACHABLE, 3600.0),
        (Outcome.INVALID_NUMBER, None),
        (Outcome.SUSPENDED, None),
        (Outcome.BARRED, None),
    ],
)
def test_retry_rules_per_outcome(outcome: Outcome, wait_s: float | None) -> None:
    ended = 1_800_000_000.0
    attempt = Attempt(number=1, started_at=ended - 5, ended_at=ended, outcome=outcome, entry="e")
    again = CampaignDialer._again_at(campaign(), attempt, None)
    assert (None if again is None else again - ended) == wait_s
    last = attempt.model_copy(update={"number": 3})
    assert CampaignDialer._again_at(campaign(), last, None) is None


def test_only_what_opens_like_an_announcement_is_heard_again() -> None:
    assert ANNOUNCEMENTS.opens("您播打低电话与停进")  # 您拨打的电话已停机, misheard
    assert ANNOUNCEMENTS.opens("对不起，您所拨打的号码")
    assert not ANNOUNCEMENTS.opens("喂您好，我是通话助理，机主暂时无法接听")
    assert not ANNOUNCEMENTS.opens("喂，你好，哪位？")
