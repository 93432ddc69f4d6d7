"""Business events of a conversation, typed.

The session emits these; the call record stores them as JSON objects (`as_dict`), keyed by
`type`, and readers turn them back with `parse_event`.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class TicketCreated(Event):
    type = "ticket_created"
    ticket: dict[str, Any]


@dataclass(frozen=True)
class SurveyRecorded(Event):
    type = "survey_recorded"
    survey: dict[str, Any]


@dataclass(frozen=True)
class FollowUpRecorded(Event):
    """A caller asked after an earlier request (进度查询 / 催办)."""

    type = "follow_up"
    ticket: str | None
    found: bool
    status: str | None = None


@dataclass(frozen=True)
class Answered(Event):
    type = "answer"
    question: str
    grounded: bool
    sources: list[dict[str, Any]]


@dataclass(frozen=True)
class OutOfScope(Event):
    type = "out_of_scope"
    utterance: str


@dataclass(frozen=True)
class Transfer(Event):
    """Hand over to a person, with what the agent needs to pick up: where the caller was and
    what they had already said."""

    type = "transfer"
    reason: str
    flow: str | None
    slots: dict[str, Any]
    caller_said: list[str]
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Hangup(Event):
    """`step`: the flow step that ended the call, if one did (campaigns read it)."""

    type = "hangup"
    step: str | None = None


@dataclass(frozen=True)
class ActionFailed(Event):
    type = "action_failed"
    action: str
    slots: dict[str, Any]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        TicketCreated,
        SurveyRecorded,
        FollowUpRecorded,
        Answered,
        OutOfScope,
        Transfer,
        Hangup,
        ActionFailed,
    )
}


def parse_event(data: dict[str, Any]) -> Event | None:
    """The typed event of a stored object, or None for types the dialogue does not emit
    (the telephony side adds its own, such as `transferred` and `summary`)."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{key: value for key, value in data.items() if key in names})
    except TypeError:  # a record written by another version, without a field: not read
        return None
