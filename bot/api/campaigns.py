"""Callback campaigns: create, read, pause/resume/cancel, export (/api/campaigns)."""

from __future__ import annotations

import dataclasses
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import Field

from bot.access.guard import SUPERVISORS
from bot.campaigns.contacts import read_contacts
from bot.campaigns.model import Campaign, CampaignSettings
from bot.campaigns.rates import Grouping, rates, rates_csv
from bot.campaigns.report import export_csv, export_json, summary
from bot.campaigns.store import CampaignStore
from bot.redis_guard import StoreUnavailable
from bot.worker import WorkerDep

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"], dependencies=[Depends(SUPERVISORS)])


class NewCampaign(CampaignSettings):
    contacts_csv: str = Field(
        description=(
            "CSV text with a header: phone, and optionally ticket_id (any work-order id), name, "
            "category, summary, reported (2026-11-20), department"
        ),
        examples=[
            "phone,ticket_id,name,category,reported\n13800138000,T1,王先生,城市供暖,2026-11-20\n"
        ],
    )
    do_not_call: list[str] = Field(
        default_factory=list, description="Numbers to add to the centre's do-not-call list"
    )


async def _campaign(store: CampaignStore, campaign_id: str) -> Campaign:
    campaign = await store.get(campaign_id)
    if campaign is None:
        raise HTTPException(404, detail=f"No campaign with id '{campaign_id}'.")
    return campaign


async def _summary(store: CampaignStore, campaign: Campaign) -> dict[str, Any]:
    contacts = await store.contacts(campaign.id)
    return summary(campaign, contacts, await store.in_flight(campaign.id), time.time())


@router.post("", status_code=201)
async def create_campaign(worker: WorkerDep, body: NewCampaign) -> dict[str, Any]:
    """Import the contacts (bad rows reported and skipped, duplicates merged, do-not-call
    numbers skipped) and start dialling within the calling windows."""
    flows = worker.services.dialogue.flows.current()
    if body.flow not in flows.flows:
        raise HTTPException(400, detail=f"No flow named '{body.flow}' (see `hotline flows lint`).")
    store = worker.campaigns
    try:
        await store.add_do_not_call(body.do_not_call)
        imported = read_contacts(body.contacts_csv, await store.do_not_call())
        if not imported.contacts:
            problems = "; ".join(f"row {p.row}: {p.reason}" for p in imported.problems[:5])
            raise HTTPException(400, detail=f"No contact to call. {problems}".strip())
        settings = CampaignSettings(**body.model_dump(exclude={"contacts_csv", "do_not_call"}))
        campaign = await store.create(settings, imported)
        return await _summary(store, campaign)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Campaigns are unavailable: {exc}") from exc


@router.get("")
async def list_campaigns(worker: WorkerDep) -> list[dict[str, Any]]:
    """Every campaign's status, counts per outcome and progress, newest first."""
    store = worker.campaigns
    try:
        return [await _summary(store, campaign) async for campaign in store.all()][::-1]
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Campaigns are unavailable: {exc}") from exc


@router.get("/{campaign_id}")
async def get_campaign(worker: WorkerDep, campaign_id: str) -> dict[str, Any]:
    """Status, counts per outcome, progress and ETA."""
    store = worker.campaigns
    try:
        return await _summary(store, await _campaign(store, campaign_id))
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"Campaigns are unavailable: {exc}") from exc


@router.post("/{campaign_id}/{action}")
async def control_campaign(
    worker: WorkerDep, campaign_id: str, action: Literal["pause", "resume", "cancel"]
) -> dict[str, Any]:
    """Pause (calls in progress finish, no new ones), resume, or cancel for good."""
    store = worker.campaigns
    campaign = await _campaign(store, campaign_id)
    if campaign.status in ("cancelled", "finished"):
        raise HTTPException(409, detail=f"Campaign {campaign_id} is {campaign.status}.")
    campaign.status = {"pause": "paused", "resume": "active", "cancel": "cancelled"}[action]  # type: ignore[assignment]
    await store.save(campaign)
    return await _summary(store, campaign)


@router.get("/{campaign_id}/rates", response_model=None)
async def campaign_rates(
    worker: WorkerDep,
    campaign_id: str,
    by: Annotated[Grouping, Query(description="department, category or day (answered)")],
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> list[dict[str, Any]] | PlainTextResponse:
    """Resolution and satisfaction rates of the answered callbacks, per group: 满意率 counts
    满意 and 基本满意; each rate is over the callees who gave that answer (null: none did)."""
    store = worker.campaigns
    campaign = await _campaign(store, campaign_id)
    rows = rates(campaign, await store.contacts(campaign.id), by)
    if format == "csv":
        return PlainTextResponse(rates_csv(by, rows), media_type="text/csv; charset=utf-8")
    return [
        {
            **dataclasses.asdict(row),
            "resolution_rate": row.resolution_rate,
            "satisfaction_rate": row.satisfaction_rate,
        }
        for row in rows
    ]


@router.get("/{campaign_id}/export", response_class=PlainTextResponse)
async def export_campaign(
    worker: WorkerDep,
    campaign_id: str,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
) -> PlainTextResponse:
    """One row (CSV) or object (JSON, as the webhook sends it) per contact: outcome,
    attempts, answers and the callee's words behind each."""
    store = worker.campaigns
    campaign = await _campaign(store, campaign_id)
    contacts = await store.contacts(campaign.id)
    if format == "json":
        return PlainTextResponse(export_json(campaign.id, contacts), media_type="application/json")
    return PlainTextResponse(export_csv(contacts), media_type="text/csv; charset=utf-8")
