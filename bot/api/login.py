"""Signing in to the console: /login (page and JSON), /logout and /api/me."""

from __future__ import annotations

import asyncio
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.access.guard import Principal, require
from bot.access.session_cookie import COOKIE_NAME
from bot.redis_guard import StoreUnavailable
from bot.worker import WorkerDep

router = APIRouter(tags=["access"])

# A wrong password costs the guesser this long.
FAILED_LOGIN_DELAY_S = 1.0


class Credentials(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["duty-supervisor"])
    password: str = Field(min_length=1, max_length=256)


@router.get("/login", response_class=HTMLResponse)
async def login_page() -> str:
    """The sign-in form; it posts to /login and returns to `?next=` (default /console)."""
    return (files("bot") / "web" / "login.html").read_text(encoding="utf-8")


def _locked_out(retry_after_s: int) -> HTTPException:
    minutes = max(1, -(-retry_after_s // 60))
    return HTTPException(
        429,
        detail=(
            "Too many wrong passwords for this account or from this address: "
            f"sign-in is locked for {minutes} more minute(s)."
        ),
        headers={"Retry-After": str(retry_after_s)},
    )


@router.post(
    "/login",
    responses={
        401: {"description": "Wrong user name or password"},
        429: {"description": "Locked after too many wrong passwords (see Retry-After)"},
        503: {"description": "Redis, which keeps the lockout, is unreachable"},
    },
)
async def login(
    request: Request, worker: WorkerDep, body: Credentials, response: Response
) -> Principal:
    """Check a user's password and set the session cookie (HttpOnly, SameSite=Strict).
    Wrong passwords are slowed down, and too many lock the account and the client address
    for a while (`auth.lockout`)."""
    lockout = worker.lockout
    address = request.client.host if request.client else "unknown"
    try:
        retry_after_s = await lockout.locked_for(body.name, address)
        if retry_after_s:
            raise _locked_out(retry_after_s)
        principal = worker.access.login(body.name, body.password)
        if principal is None:
            await lockout.failed(body.name, address)
            await asyncio.sleep(FAILED_LOGIN_DELAY_S)
            raise HTTPException(401, detail="Wrong user name or password.")
        await lockout.succeeded(body.name, address)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Sign-in is unavailable: {exc}") from exc
    signer = worker.access.signer
    response.set_cookie(
        COOKIE_NAME,
        signer.issue(principal.name),
        max_age=int(signer.lifetime_s),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return principal


@router.post("/logout", status_code=204)
async def logout(response: Response) -> None:
    """End the browser's session."""
    response.delete_cookie(COOKIE_NAME)


@router.get("/api/me")
async def me(
    principal: Annotated[Principal, Depends(require("supervisor", "designer"))],
) -> Principal:
    """Who the credentials belong to, and their role."""
    return principal
