"""Users, tokens, roles and sessions, driven through a small app with the real login routes."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from bot.access.guard import CALL_READERS, SUPERVISORS, Access, Principal
from bot.access.passwords import hash_password, token_digest, verify_password
from bot.access.session_cookie import SessionSigner
from bot.api import login
from bot.config import AuthConfig, Settings, load_settings


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
def app() -> FastAPI:
    settings = settings_with(
        {
            "users": {
                "lee": {"password_hash": hash_password("pw-lee", 1000), "role": "supervisor"},
                "wu": {"password_hash": hash_password("pw-wu", 1000), "role": "designer"},
            },
            "tokens": {"ops": {"token_sha256": token_digest("tok-ops"), "role": "admin"}},
        }
    )
    app = FastAPI()
    app.state.access = Access.from_settings(settings)
    app.include_router(login.router)

    @app.get("/supervised")
    async def supervised(who: Annotated[Principal, Depends(SUPERVISORS)]) -> str:
        return who.name

    @app.get("/calls", dependencies=[Depends(CALL_READERS)])
    async def calls() -> str:
        return "ok"

    return app


def client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot", headers=headers
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


async def test_wrong_password_is_refused(app: FastAPI) -> None:
    async with client(app) as guesser:
        response = await guesser.post("/login", json={"name": "lee", "password": "pw-wu"})
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong user name or password."
        assert "set-cookie" not in response.headers


def test_fresh_install_gets_an_admin_password_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "admin-password"
    settings = settings_with({"users": {}, "tokens": {}, "bootstrap_file": path})
    first = Access.from_settings(settings)
    password = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.login("admin", password) == Principal("admin", "admin")
    # The next start keeps the same password.
    assert Access.from_settings(settings).login("admin", password) is not None
