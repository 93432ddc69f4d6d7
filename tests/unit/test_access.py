"""Users, tokens, roles and sessions, driven through a small app with the real login routes."""

from __future__ import annotations

import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from bot.access.guard import CALL_READERS, SUPERVISORS, Access, Principal
from bot.access.lockout import SignInLockout
from bot.access.passwords import hash_password, token_digest, verify_password
from bot.access.session_cookie import SessionSigner
from bot.api import login, metrics
from bot.config import AuthConfig, LockoutConfig, Settings, load_settings
from bot.redis_guard import connect


def test_password_hashes_verify_and_differ() -> None:
    first, second = hash_password("s3cret", 1000), hash_password("s3cret", 1000)
    assert first != second  # salted
    assert first.startswith("pbkdf2_sha256$1000$")
    assert verify_password("s3cret", first) and not verify_password("s3cre", first)
    assert not verify_password("s3cret", "garbage")


def test_session_cookie_is_signed_and_expires() -> None:
    signer = SessionSigner(b"k" * 32, lifetime_s=60)
    cookie = signer.issue("值班长", now=1000)
    assert signer.verify(cookie, now=1030) == "值班长"
    assert signer.verify(cookie, now=1061) is None
    name, expires, signature = cookie.split(".")
    assert signer.verify(f"{name}.{int(expires) + 3600}.{signature}", now=1030) is None
    assert SessionSigner(b"x" * 32, 60).verify(cookie, now=1030) is None
    assert signer.verify("nonsense", now=1030) is None


def settings_with(auth: dict[str, object]) -> Settings:
    base = load_settings()
    return base.model_copy(
        update={"auth": AuthConfig.model_validate({**base.auth.model_dump(), **auth})}
    )


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    settings = settings_with(
        {
            "users": {
                "lee": {"password_hash": hash_password("pw-lee", 1000), "role": "supervisor"},
                "wu": {"password_hash": hash_password("pw-wu", 1000), "role": "designer"},
            },
            "tokens": {
                "ops": {"token_sha256": token_digest("tok-ops"), "role": "admin"},
                "scraper": {"token_sha256": token_digest("tok-scraper"), "role": "monitor"},
            },
        }
    )
    app = FastAPI()
    redis = connect(settings.redis.url)
    lockout = LockoutConfig(failures=3, window_min=15, lock_min=15)
    # The part of a worker that signing in uses.
    app.state.worker = SimpleNamespace(
        access=Access.from_settings(settings),
        lockout=SignInLockout(redis, f"test-{uuid.uuid4().hex[:8]}", lockout),
    )
    app.include_router(login.router)
    app.include_router(metrics.router)

    @app.get("/supervised")
    async def supervised(who: Annotated[Principal, Depends(SUPERVISORS)]) -> str:
        return who.name

    @app.get("/calls", dependencies=[Depends(CALL_READERS)])
    async def calls() -> str:
        return "ok"

    yield app
    await redis.aclose()


def client(app: FastAPI, address: str = "127.0.0.1", **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)),
        base_url="http://bot",
        headers=headers,
    )


async def test_roles_decide_what_each_may_use(app: FastAPI) -> None:
    async with client(app) as anonymous:
        refused = await anonymous.get("/supervised")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
    async with client(app, authorization="Bearer tok-ops") as admin:
        assert (await admin.get("/supervised")).json() == "ops"  # admin passes everywhere
    async with client(app, authorization="Bearer tok-wrong") as forged:
        assert (await forged.get("/calls")).status_code == 401
    async with client(app) as designer:
        me = await designer.post("/login", json={"name": "wu", "password": "pw-wu"})
        assert me.json() == {"name": "wu", "role": "designer"}
        assert "httponly" in me.headers["set-cookie"].lower()
        assert (await designer.get("/calls")).status_code == 200
        forbidden = await designer.get("/supervised")
        assert forbidden.status_code == 403
        assert "designer" in forbidden.json()["detail"]
        await designer.post("/logout")
        assert (await designer.get("/calls")).status_code == 401


async def test_metrics_are_for_the_monitor_role(app: FastAPI) -> None:
    async with client(app) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401
        await anonymous.post("/login", json={"name": "lee", "password": "pw-lee"})
        assert (await anonymous.get("/metrics")).status_code == 403  # a supervisor
    async with client(app, authorization="Bearer tok-scraper") as prometheus:
        scraped = await prometheus.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert "# TYPE hotline_calls_total counter" in scraped.text
        assert (await prometheus.get("/calls")).status_code == 403  # nothing else


async def test_wrong_password_is_refused(app: FastAPI) -> None:
    async with client(app) as guesser:
        response = await guesser.post("/login", json={"name": "lee", "password": "pw-wu"})
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong user name or password."
        assert "set-cookie" not in response.headers


@pytest.fixture
def undelayed(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """The app without the second a wrong password costs, to reach the lockout quickly."""
    monkeypatch.setattr(login, "FAILED_LOGIN_DELAY_S", 0)
    return app


async def test_repeated_wrong_passwords_lock_the_account_and_the_address(
    undelayed: FastAPI,
) -> None:
    async with client(undelayed, "10.0.0.7") as guesser:
        for _ in range(3):
            wrong = await guesser.post("/login", json={"name": "lee", "password": "guess"})
            assert wrong.status_code == 401
        # Locked now, even with the right password.
        locked = await guesser.post("/login", json={"name": "lee", "password": "pw-lee"})
        assert locked.status_code == 429
        assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
        assert locked.json()["detail"] == (
            "Too many wrong passwords for this account or from this address: "
            "sign-in is locked for 15 more minute(s)."
        )
        assert "set-cookie" not in locked.headers
        # The address is locked for other accounts too.
        other = await guesser.post("/login", json={"name": "wu", "password": "pw-wu"})
        assert other.status_code == 429
    async with client(undelayed, "10.0.0.8") as colleague:
        # The account is locked from every address; other accounts are not.
        assert (
            await colleague.post("/login", json={"name": "lee", "password": "pw-lee"})
        ).status_code == 429
        assert (
            await colleague.post("/login", json={"name": "wu", "password": "pw-wu"})
        ).status_code == 200


async def test_a_right_password_clears_earlier_failures(undelayed: FastAPI) -> None:
    async with client(undelayed, "10.0.0.9") as user:
        for _ in range(5):
            for password, status in (("typo", 401), ("typo", 401), ("pw-wu", 200)):
                answer = await user.post("/login", json={"name": "wu", "password": password})
                assert answer.status_code == status


def test_fresh_install_gets_an_admin_password_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "admin-password"
    settings = settings_with({"users": {}, "tokens": {}, "bootstrap_file": path})
    first = Access.from_settings(settings)
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.login("admin", password) == Principal("admin", "admin")
    # The next start keeps the same password.
    assert Access.from_settings(settings).login("admin", password) is not None
