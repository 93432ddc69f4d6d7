"""Call records (GET /api/calls, GET /api/calls/{call_id}) and outbound calls
(POST /api/calls/outbound)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from bot.access.guard import CALL_READERS, SUPERVISORS
from bot.calls.handover import handover
from bot.calls.store import CallStore
from bot.redis_guard import StoreUnavailable
from bot.sip_calls import SipCalls
from bot.worker import WorkerDep
from telephony.call import CallOutcome

router = APIRouter(prefix="/api/calls", tags=["calls"], dependencies=[Depends(CALL_READERS)])


async def read_call(store: CallStore, call_id: str) -> dict[str, object]:
    try:
        record = await store.get(call_id)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    if record is None:
        raise HTTPException(404, detail=f"No call with id '{call_id}'.")
    return record.public()


@router.get("")
async def list_calls(
    worker: WorkerDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most recent calls to return")] = 50,
) -> list[dict[str, object]]:
    """The most recent calls, newest first, each with its turns and per-turn timings."""
    try:
        records = await worker.services.store.recent(limit)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    return [record.public() for record in records]


@router.get("/{call_id}/handover")
async def get_handover(worker: WorkerDep, call_id: str) -> dict[str, object]:
    """What the agent taking over needs: a summary (caller's need, collected details,
    tickets, escalation reason) and the transcript."""
    try:
        record = await worker.services.store.get(call_id)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    if record is None:
        raise HTTPException(404, detail=f"No call with id '{call_id}'.")
    return handover(record)


@router.get("/{call_id}")
async def get_call(worker: WorkerDep, call_id: str) -> dict[str, object]:
    """One call: caller, start/end, recording path, and every turn with its timestamps."""
    return await read_call(worker.services.store, call_id)


class OutboundCall(BaseModel):
    number: str = Field(
        pattern=r"^(\+?[0-9*#]{1,32}|sips?:\S+)$",
        description="Digits to dial through the trunk, or a SIP URI",
        examples=["13800138000"],
    )
    trunk: str | None = Field(default=None, description="Name under sip.trunks; default first")


class OutboundResult(BaseModel):
    outcome: CallOutcome = Field(description="answered, busy, no_answer, rejected or failed")
    status: int | None = Field(description="The final SIP status, where one came back")
    call_id: str | None = Field(description="Call record of an answered call (GET it here)")


@router.post("/outbound", dependencies=[Depends(SUPERVISORS)])
async def place_call(worker: WorkerDep, body: OutboundCall) -> OutboundResult:
    """Call a number; returns once it is answered (the bot then talks with the callee) or
    not (busy, no answer within sip.ring_timeout_s, rejected, failed)."""
    sip = worker.sip
    if sip is None:
        raise HTTPException(503, detail="SIP is disabled on this worker (sip.enabled).")
    try:
        result = await sip.call(body.number, body.trunk)
    except KeyError as exc:
        raise HTTPException(400, detail=str(exc.args[0])) from exc
    return OutboundResult(
        outcome=result.outcome,
        status=result.status,
        call_id=SipCalls.record_id(result.call) if result.call else None,
    )
