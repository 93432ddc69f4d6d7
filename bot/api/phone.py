"""The citizen phone page: /phone, its WebRTC offer endpoint and its live transcript.

Citizens have no accounts: the page reads its own call only, with the token it was given in
the WebRTC answer; every other call record needs a signed-in user (/api/calls)."""

from __future__ import annotations

import time
import uuid
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import HTMLResponse
from loguru import logger
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pydantic import BaseModel, Field

from bot.access.call_token import HEADER
from bot.api.calls import read_call
from bot.calls.record import CallRecord
from bot.webrtc.transport import answer_offer
from bot.worker import WorkerDep

router = APIRouter(prefix="/phone", tags=["phone"])


class Offer(BaseModel):
    sdp: str = Field(description="The browser's SDP offer, with its ICE candidates gathered")
    type: str = Field("offer", pattern="^offer$")


class Answer(BaseModel):
    sdp: str
    type: str
    pc_id: str
    call_id: str = Field(description="Id of the call record (GET /phone/calls/{call_id})")
    call_token: str = Field(description=f"Secret that reads this call only (the {HEADER} header)")


@router.get("", response_class=HTMLResponse)
async def phone_page() -> str:
    """A page with Call / Hang up buttons and the live transcript of both sides."""
    return (files("bot") / "web" / "phone.html").read_text(encoding="utf-8")


@router.post("/offer")
async def offer(worker: WorkerDep, body: Offer) -> Answer:
    """Start a call from the browser: SDP offer in, SDP answer out (non-trickle ICE)."""
    if "m=audio" not in body.sdp:
        raise HTTPException(400, detail="The SDP offer could not be used: it has no audio stream.")
    services = worker.services
    record = CallRecord(id=uuid.uuid4().hex, channel="webrtc", started_at=time.time())

    def start(transport: SmallWebRTCTransport) -> None:
        worker.start_call(services.run_call(transport, record), f"call-{record.id}")

    try:
        answer = await answer_offer(
            worker.webrtc, body.sdp, services.settings.webrtc.host_addresses, start
        )
    except ValueError as exc:
        logger.warning(f"rejected WebRTC offer: {exc}")
        raise HTTPException(400, detail=f"The SDP offer could not be used: {exc}") from exc
    call_token = worker.access.call_tokens.issue(record.id)
    return Answer(**answer, call_id=record.id, call_token=call_token)


@router.get(
    "/calls/{call_id}",
    responses={
        401: {"description": f"No {HEADER} header"},
        404: {"description": "No such call, or the token is not this call's"},
    },
)
async def phone_call(
    worker: WorkerDep,
    call_id: str,
    call_token: Annotated[
        str | None, Header(alias=HEADER, description="`call_token` of the WebRTC answer")
    ] = None,
) -> dict[str, object]:
    """The caller's own call record (the page polls it for the live transcript)."""
    if call_token is None:
        raise HTTPException(
            401, detail=f"Send the call_token of this call's WebRTC answer as {HEADER}."
        )
    if not worker.access.call_tokens.verify(call_id, call_token):
        raise HTTPException(404, detail=f"No call with id '{call_id}' for this token.")
    return await read_call(worker.services.store, call_id)
