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


@router.post("/login")
async def login(request: Request, body: Credentials, response: Response) -> Principal:
    """Check a user's password and set the session cookie (HttpOnly, SameSite=Strict)."""
    principal = request.app.state.access.login(body.name, body.password)
    if principal is None:
        await asyncio.sleep(FAILED_LOGIN_DELAY_S)
        raise HTTPException(401, detail="Wrong user name or password.")
    signer = request.app.state.access.signer
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
