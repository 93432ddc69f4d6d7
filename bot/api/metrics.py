"""GET /metrics: the worker's Prometheus metrics (bot/metrics.py), for API tokens with the
`monitor` role (or admin); Prometheus sends the token as `authorization: credentials`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.access.guard import METRICS_READERS

router = APIRouter(tags=["ops"], dependencies=[Depends(METRICS_READERS)])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, 401: {}, 403: {}},
)
async def metrics() -> Response:
    """Calls, turn latency by stage, ASR, LLM, TTS, escalations, tickets, campaign attempts
    and SIP responses, in the Prometheus text format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
