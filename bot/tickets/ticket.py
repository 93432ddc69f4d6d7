"""A work order as the centre stores it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TicketStatus = Literal["open", "in_progress", "closed"]

STATUS_IN_WORDS = {
    "open": "已受理，正在等待相关部门处理",
    "in_progress": "相关部门正在处理中",
    "closed": "已经办结",
}


class SurveyResult(BaseModel):
    resolved: bool | None = None
    satisfaction: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = None
    comment: str | None = None
    callback_time: str | None = None
    evidence: dict[str, str] = Field(
        default_factory=dict, description="Answer → the caller's words that gave it (audit)"
    )
    call_id: str
    recorded_at: float


class FollowUp(BaseModel):
    """A citizen asking after the request (进度查询 / 催办)."""

    call_id: str
    said: str = Field(description="The caller's words")
    urged: bool = Field(default=False, description="The caller asked to hurry it (催办)")
    at: float


class Ticket(BaseModel):
    number: str = Field(description="Date + daily sequence, e.g. 202611240007")
    category: str | None = None
    department: str = Field(description="Suggested department (智能派单)")
    department_reason: str | None = Field(
        default=None, description="Why this department was suggested"
    )
    address: str | None = None
    time: str | None = Field(default=None, description="When the problem happens, as said")
    description: str | None = Field(
        default=None, description="The caller's account of the problem, in their own words"
    )
    summary: str | None = Field(
        default=None, description="The LLM's one-paragraph summary in the hotline's house style"
    )
    contact_name: str | None = None
    contact_phone: str | None = None
    evidence: dict[str, str] = Field(
        default_factory=dict, description="Field → the caller's words it was taken from"
    )
    call_id: str | None = None
    transcript: str | None = Field(default=None, description="Link to the call record")
    status: TicketStatus = "open"
    created_at: float
    updated_at: float
    surveys: list[SurveyResult] = Field(default_factory=list)
    follow_ups: list[FollowUp] = Field(default_factory=list)
    follow_up: bool = Field(
        default=False, description="A callback found it unresolved or the citizen dissatisfied"
    )

    @property
    def status_in_words(self) -> str:
        return STATUS_IN_WORDS[self.status]


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def closest_ticket(tickets: list[Ticket], about: str) -> Ticket | None:
    """The work order the caller's words are about: the one whose category and description
    share the most two-character words with them ("催一下暖气那个事" → the 城市供暖 order, not a
    later 交通出行 one); the first (most recent) when none shares more than the others."""
    if not tickets:
        return None
    said = _bigrams("".join(about.split()))
    shared = [len(said & _bigrams(f"{t.category or ''}{t.description or ''}")) for t in tickets]
    best = max(shared)
    return tickets[shared.index(best)] if shared.count(best) == 1 else tickets[0]
