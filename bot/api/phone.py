"""The citizen phone page: /phone, its WebRTC offer endpoint and its live transcript."""

from __future__ import annotations

import asyncio
import time
import uuid
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from loguru import logger
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequest
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pydantic import BaseModel, Field

from bot.api.calls import read_call
from bot.calls.record import CallRecord
from bot.pipeline import CallServices
from bot.webrtc.ice import filter_offer_candidates

router = APIRouter(prefix="/phone", tags=["phone"])


class Offer(BaseModel):
    sdp: str = Field(description="The browser's SDP offer, with its ICE candidates gathered")
    type: str = Field("offer", pattern="^offer$")


class Answer(BaseModel):
    sdp: str
    type: str
    pc_id: str
    call_id: str = Field(description="Id of the call record (GET /phone/calls/{call_id})")


@router.get("", response_class=HTMLResponse)
async def phone_page() -> str:
    """A page with Call / Hang up buttons and the live transcript of both sides."""
    return (files("bot") / "web" / "phone.html").read_text(encoding="utf-8")


@router.post("/offer")
async def offer(request: Request, body: Offer) -> Answer:
    """Start a call from the browser: SDP offer in, SDP answer out (non-trickle ICE)."""
    if "m=audio" not in body.sdp:
        raise HTTPException(400, detail="The SDP offer could not be used: it has no audio stream.")
    services: CallServices = request.app.state.services
    calls: set[asyncio.Task[None]] = request.app.state.calls
    record = CallRecord(id=uuid.uuid4().hex, channel="webrtc", started_at=time.time())
    sdp = filter_offer_candidates(body.sdp, services.settings.webrtc.host_addresses)

    async def on_connection(connection: SmallWebRTCConnection) -> None:
        transport = SmallWebRTCTransport(
            webrtc_connection=connection,
            params=TransportParams(audio_in_enabled=True, audio_out_enabled=True),
        )
        task = asyncio.create_task(services.run_call(transport, record), name=f"call-{record.id}")
        calls.add(task)
        task.add_done_callback(calls.discard)

    try:
        answer = await request.app.state.webrtc.handle_web_request(
            SmallWebRTCRequest(sdp=sdp, type=body.type), on_connection
        )
    except ValueError as exc:
        logger.warning(f"rejected WebRTC offer: {exc}")
        raise HTTPException(400, detail=f"The SDP offer could not be used: {exc}") from exc
    return Answer(**answer, call_id=record.id)


@router.get("/calls/{call_id}")
async def phone_call(request: Request, call_id: str) -> dict[str, object]:
    """The caller's own call record (the page polls it for the live transcript)."""
    return await read_call(request.app.state.services.store, call_id)
