"""The webhook's signature, backoff and the result it carries."""

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from bot.campaigns.model import Attempt, Contact, Outcome
from bot.campaigns.result import ContactResult
from bot.campaigns.webhook import backoff_s, signature
from bot.config import WebhookConfig


def test_the_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    body = '{"idempotency_key":"c1:13800138000"}'
    expected = hmac.new(b"s" * 16, b"1764662400." + body.encode(), hashlib.sha256).hexdigest()
    assert signature("s" * 16, "1764662400", body) == f"sha256={expected}"
    # Neither the body nor the timestamp can change without the signature changing.
    assert signature("s" * 16, "1764662401", body) != signature("s" * 16, "1764662400", body)
    assert signature("s" * 16, "1764662400", body + " ") != signature("s" * 16, "1764662400", body)
    assert signature("t" * 16, "1764662400", body) != signature("s" * 16, "1764662400", body)


def test_retries_back_off_exponentially_up_to_a_ceiling() -> None:
    config = WebhookConfig(
        url="http://127.0.0.1:9/", secret="s" * 16, backoff_s=2, max_backoff_s=30
    )
    assert [backoff_s(config, tries) for tries in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def test_a_webhook_url_needs_a_secret() -> None:
    with pytest.raises(ValidationError, match="secret of at least 16 characters"):
        WebhookConfig(url="http://127.0.0.1:9/", secret="short")


def test_the_result_has_every_answer_with_its_words() -> None:
    contact = Contact(
        phone="13800138000",
        ticket_id="SZ-2026-000123",
        outcome=Outcome.COMPLETED,
        done=True,
        answers={"resolved": True, "satisfaction": "satisfied", "comment": None},
        evidence={"resolved": "早就修好了", "satisfaction": "挺满意的"},
        attempts=[Attempt(number=1, started_at=100, ended_at=160, entry="1-0", call_id="k")],
    )
    result = ContactResult.of("c1", contact)
    assert result.idempotency_key == "c1:13800138000"
    assert result.model_dump()["answers"] == {
        "resolved": {"value": True, "said": "早就修好了"},
        "satisfaction": {"value": "satisfied", "said": "挺满意的"},
    }
    assert (result.outcome, result.attempts, result.call_ids) == ("completed", 1, ["k"])
