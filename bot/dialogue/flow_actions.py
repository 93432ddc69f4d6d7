"""`action:` steps: what a flow does to the centre's systems, through `Effects`, and what the
call learns from it (the ticket number to read back, the ticket found for a follow-up)."""

from __future__ import annotations

import datetime as dt

from loguru import logger

from bot.dialogue.effects import Effects, WorkOrderDraft
from bot.dialogue.events import ActionFailed, FollowUpRecorded, SurveyRecorded, TicketCreated
from bot.dialogue.session_state import FlowFrame, SessionState
from bot.dialogue.slot_types.spelling import spell_digits
from bot.flows.model import ActionStep
from bot.redis_guard import StoreUnavailable

# The caller's last turns kept with a follow-up on the ticket.
FOLLOW_UP_TURNS = 3


async def run_action(
    step: ActionStep, frame: FlowFrame, state: SessionState, effects: Effects
) -> bool:
    """False when the centre's store could not take it (the caller is handed to a person)."""
    try:
        match step.action:
            case "create_ticket":
                await _create_ticket(frame, state, effects)
            case "record_survey":
                result = await effects.record_survey(
                    state.call_id, state.data.get("ticket"), frame.slots, frame.evidence
                )
                state.events.append(SurveyRecorded(result.model_dump()))
            case "find_ticket":
                await _find_ticket(frame, state, effects)
            case "record_follow_up":
                said = [frame.trigger or "", *state.heard[-FOLLOW_UP_TURNS:]]
                number = state.data.get("found_ticket")
                if number:
                    await effects.record_follow_up(
                        number, state.call_id, "；".join(u for u in said if u)
                    )
    except StoreUnavailable as exc:
        logger.error(f"call {state.call_id}: {step.action} failed: {exc}")
        state.events.append(ActionFailed(step.action, dict(frame.slots)))
        return False
    frame.actions_done.add(step.action)
    return True


async def _create_ticket(frame: FlowFrame, state: SessionState, effects: Effects) -> None:
    # The caller's number stands in for a contact number not asked for, and the system may
    # say why a ticket is opened (a callback after a failed transfer).
    fields = dict(frame.slots)
    fields["contact_phone"] = fields.get("contact_phone") or state.data.get("caller")
    if state.data.get("callback_reason") and not fields.get("description"):
        fields["description"] = state.data["callback_reason"]
    category = next(
        (n for n, s in frame.flow.slots.items() if s.type == "enum" and s.fill_from_trigger),
        None,
    )
    draft = WorkOrderDraft(
        fields, dict(frame.evidence), frame.evidence.get(category) if category else None
    )
    ticket = await effects.create_ticket(state.call_id, draft)
    state.data["ticket"] = ticket.number
    state.data["ticket_number"] = spell_digits(ticket.number)
    state.events.append(TicketCreated(ticket.model_dump()))


def _said(frame: FlowFrame, slot_type: str) -> str | None:
    """The value of the flow's first slot of this type the caller gave."""
    return next(
        (v for n, v in frame.slots.items() if frame.flow.slots[n].type == slot_type and v),
        None,
    )


async def _find_ticket(frame: FlowFrame, state: SessionState, effects: Effects) -> None:
    """By the work-order number the caller gave, else by the phone number they say it was
    registered with, else by the number they call from."""
    number = _said(frame, "ticket_number")
    phone = _said(frame, "phone") or state.data.get("caller")
    about = "，".join([frame.trigger or "", *state.heard[-FOLLOW_UP_TURNS:]])
    ticket = await effects.find_ticket(number, None if number else phone, about)
    if ticket is None:
        state.data["found_ticket"] = None
        state.events.append(FollowUpRecorded(number, False))
        return
    created = dt.datetime.fromtimestamp(ticket.created_at)
    state.data.update(
        found_ticket=ticket.number,
        found_number=spell_digits(ticket.number),
        found_status=ticket.status_in_words,
        found_category=ticket.category or "",
        found_date=f"{created.month}月{created.day}日",
    )
    state.events.append(FollowUpRecorded(ticket.number, True, ticket.status))
