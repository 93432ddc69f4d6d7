"""A work order as the centre stores it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TicketStatus = Literal["open", "closed"]


class SurveyResult(BaseModel):
    resolved: bool | None = None
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = None
    comment: str | None = None
    callback_time: str | None = None
    call_id: str
    recorded_at: float


class Ticket(BaseModel):
    number: str = Field(description="Date + daily sequence, e.g. 202611240007")
    category: str | None = None
    department: str = Field(description="Suggested department (智能派单)")
    address: str | None = None
    time: str | None = Field(default=None, description="When the problem happens, as said")
    description: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    call_id: str | None = None
    transcript: str | None = Field(default=None, description="Link to the call record")
    status: TicketStatus = "open"
    created_at: float
    updated_at: float
    surveys: list[SurveyResult] = Field(default_factory=list)
    follow_up: bool = Field(
        default=False, description="A callback found it unresolved or the citizen dissatisfied"
    )
