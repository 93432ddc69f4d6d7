"""The supervisor console: /console, the overview it polls, listen-in and its audit log."""

from __future__ import annotations

import contextlib
import time
import uuid
from importlib.resources import files
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from loguru import logger
from pydantic import BaseModel, Field

from bot.access.guard import SUPERVISORS, Principal, require
from bot.calls.overview import overview
from bot.redis_guard import StoreUnavailable
from bot.webrtc.ice import filter_offer_candidates
from bot.worker import WorkerDep

router = APIRouter(tags=["console"])

Supervisor = Annotated[Principal, Depends(SUPERVISORS)]


@router.get("/console", response_class=HTMLResponse, response_model=None)
async def console_page(request: Request, worker: WorkerDep) -> str | RedirectResponse:
    """Live calls with their transcripts and listen-in, the escalation queue and today's
    figures; without a session, the browser is sent to /login first."""
    principal = worker.access.identify(request)
    if principal is None:
        return RedirectResponse("/login?next=/console", status_code=303)
    if principal.role not in ("supervisor", "admin"):
        raise HTTPException(403, detail=f"The role '{principal.role}' may not use the console.")
    return (files("bot") / "web" / "console.html").read_text(encoding="utf-8")


@router.get("/api/console/overview", dependencies=[Depends(SUPERVISORS)])
async def console_overview(worker: WorkerDep) -> dict[str, Any]:
    """Live calls (numbers masked), escalated calls with their summaries, today's figures."""
    try:
        records = await worker.services.store.recent(500)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    return overview(records, time.time())


class ListenOffer(BaseModel):
    sdp: str = Field(description="The browser's SDP offer (receive-only audio, ICE gathered)")
    type: str = Field("offer", pattern="^offer$")


class ListenAnswer(BaseModel):
    session: str = Field(description="Ends the listen-in: DELETE /api/console/listen/{session}")
    sdp: str
    type: str = "answer"


# Headers that carry the supervisor's sign-in to the worker a request is forwarded to.
FORWARDED_HEADERS = ("authorization", "cookie")
FORWARD_TIMEOUT_S = 10.0


async def _forwarded(request: Request, owner: str, method: str, body: Any = None) -> Any:
    """The same request answered by the worker `owner` (behind Kamailio, the call or the
    listen-in lives there); its refusals are passed on as they are."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
    try:
        async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT_S) as client:
            response = await client.request(
                method, f"{owner}{request.url.path}", json=body, headers=headers
            )
    except httpx.HTTPError as exc:
        raise HTTPException(
            502, detail=f"The worker carrying it ({owner}) did not answer."
        ) from exc
    if response.status_code >= 400:
        detail = response.json().get("detail") if response.content else response.reason_phrase
        raise HTTPException(response.status_code, detail=detail)
    return response.json() if response.content else None


@router.post("/api/console/calls/{call_id}/listen")
async def listen_in(
    request: Request, worker: WorkerDep, call_id: str, body: ListenOffer, who: Supervisor
) -> ListenAnswer:
    """Hear a live SIP call, both directions, in the browser; the caller hears nothing.
    Written to the audit log first: a listen-in that cannot be logged is refused. A call
    another worker carries is heard through that worker."""
    call = worker.sip.live_call(call_id) if worker.sip is not None else None
    if call is None:
        owner = await worker.live_calls.call_owner(call_id)
        if owner is None:
            raise HTTPException(404, detail=f"No live SIP call '{call_id}'.")
        return ListenAnswer(**await _forwarded(request, owner, "POST", body.model_dump()))
    if "m=audio" not in body.sdp:
        raise HTTPException(400, detail="The SDP offer could not be used: it has no audio stream.")
    audit = worker.audit
    session = uuid.uuid4().hex
    try:
        await audit.write("listen_start", who, call_id=call_id, session=session)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"The audit log is unavailable: {exc}") from exc

    async def ended(why: str) -> None:
        logger.info(f"listen-in {session} by {who.name} on call {call_id} ended: {why}")
        with contextlib.suppress(StoreUnavailable):
            await audit.write("listen_stop", who, call_id=call_id, session=session, why=why)

    offer = filter_offer_candidates(body.sdp, worker.settings.webrtc.host_addresses)
    try:
        answer = await worker.listen_ins.start(session, call, offer, ended)
    except ValueError as exc:
        await ended("offer refused")
        raise HTTPException(400, detail=f"The SDP offer could not be used: {exc}") from exc
    await worker.live_calls.listening(session)
    return ListenAnswer(session=session, sdp=answer)


@router.delete("/api/console/listen/{session}", status_code=204)
async def stop_listening(
    request: Request, worker: WorkerDep, session: str, _who: Supervisor
) -> None:
    """Stop a listen-in (it also stops when the call ends or the browser goes away)."""
    if await worker.listen_ins.stop(session):
        return
    owner = await worker.live_calls.session_owner(session)
    if owner is None:
        raise HTTPException(404, detail=f"No listen-in session '{session}'.")
    await _forwarded(request, owner, "DELETE")


@router.get("/api/console/audit", dependencies=[Depends(require())])
async def audit_log(
    worker: WorkerDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most recent entries")] = 100,
) -> list[dict[str, Any]]:
    """Who listened in to which call and when, newest first (admins only)."""
    try:
        return await worker.audit.recent(limit)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"The audit log is unavailable: {exc}") from exc
