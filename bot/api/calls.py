"""Call records: GET /api/calls and GET /api/calls/{call_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from bot.calls.store import CallStore
from bot.redis_guard import StoreUnavailable

router = APIRouter(prefix="/api/calls", tags=["calls"])


def _store(request: Request) -> CallStore:
    return request.app.state.services.store


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
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500, description="Most recent calls to return")] = 50,
) -> list[dict[str, object]]:
    """The most recent calls, newest first, each with its turns and per-turn timings."""
    try:
        records = await _store(request).recent(limit)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Call records are unavailable: {exc}") from exc
    return [record.public() for record in records]


@router.get("/{call_id}")
async def get_call(request: Request, call_id: str) -> dict[str, object]:
    """One call: caller, start/end, recording path, and every turn with its timestamps."""
    return await read_call(_store(request), call_id)
