"""The supervisor console: /console and the overview it polls."""

from __future__ import annotations

import time
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from bot.calls.overview import overview
from bot.redis_guard import StoreUnavailable

router = APIRouter(tags=["console"])


@router.get("/console", response_class=HTMLResponse)
async def console_page() -> str:
    """Live calls with their transcripts, the escalation queue and today's figures."""
    return (files("bot") / "web" / "console.html").read_text(encoding="utf-8")


@router.get("/api/console/overview")
async def console_overview(request: Request) -> dict[str, Any]:
    """Live calls (numbers masked), escalated calls with their summaries, today's figures."""
    try:
        records = await request.app.state.services.store.recent(500)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    return overview(records, time.time())
