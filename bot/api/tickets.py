"""Work orders: GET /api/tickets/{number}."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from bot.access.guard import SUPERVISORS
from bot.redis_guard import StoreUnavailable
from bot.tickets.ticket import Ticket
from bot.worker import WorkerDep

router = APIRouter(prefix="/api/tickets", tags=["tickets"], dependencies=[Depends(SUPERVISORS)])


@router.get("/{number}")
async def get_ticket(worker: WorkerDep, number: str) -> Ticket:
    """One work order: category, suggested department, address, time, description, contact,
    the call it came from (with a link to its transcript), status and survey results."""
    try:
        ticket = await worker.services.dialogue.tickets.get(number)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Tickets are unavailable: {exc}") from exc
    if ticket is None:
        raise HTTPException(404, detail=f"No ticket numbered '{number}'.")
    return ticket
