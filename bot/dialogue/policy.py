"""The command policy: what wins when one caller turn yields several commands.

Safety first (an emergency, a request for a person), then leaving (goodbye, cancel), then
the answer to what the bot asked (values, yes/no), then detours (a policy question, another
flow). The session carries the decision out; this module only ranks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.dialogue.commands import VALUE_KINDS, Command

Move = Literal[
    "emergency",
    "check_emergency",
    "human",
    "escalate",
    "cancel",
    "goodbye",
    "repeat",
    "relative",
    "busy",
    "machine",
    "answer",
    "knowledge",
    "start_flow",
    "out_of_scope",
    "not_understood",
]


@dataclass(frozen=True)
class Decision:
    move: Move
    command: Command | None = None  # the command behind the move, where one is
    values: list[Command] = field(default_factory=list)  # set/correct/clear slot commands
    yes_no: bool | None = None
    dont_know: bool = False


def _first(commands: list[Command], kind: str) -> Command | None:
    return next((command for command in commands if command.kind == kind), None)


def decide(commands: list[Command], emergency_flow: str) -> Decision:
    """Rank one turn's commands into the move the session makes."""
    kinds = {command.kind for command in commands}
    emergency = _first(commands, "emergency")
    start = _first(commands, "start_flow")
    if (start and start.flow == emergency_flow) or (emergency and emergency.value != "possible"):
        return Decision("emergency", emergency or start)
    if "request_human" in kinds:
        return Decision("human")
    escalation = _first(commands, "escalate")
    if escalation is not None:
        return Decision("escalate", escalation)
    if emergency is not None:
        return Decision("check_emergency", emergency)
    values = [c for c in commands if c.kind in VALUE_KINDS or c.kind == "clear_slot"]
    yes_no = True if "affirm" in kinds else False if "deny" in kinds else None
    answered = bool(values) or yes_no is not None or "dont_know" in kinds
    if "cancel" in kinds and not answered:
        return Decision("cancel")
    if "goodbye" in kinds and not answered:
        return Decision("goodbye")
    if "repeat" in kinds and not answered:
        return Decision("repeat")
    if "machine" in kinds:
        return Decision("machine")
    if "relative" in kinds:
        return Decision("relative", values=values)
    if "busy" in kinds:
        return Decision("busy", values=values)
    if start is not None:  # a flow and the facts that came with it
        return Decision("start_flow", start, values=values)
    if answered:
        return Decision("answer", values=values, yes_no=yes_no, dont_know="dont_know" in kinds)
    question = _first(commands, "ask_knowledge")
    if question is not None:
        return Decision("knowledge", question)
    if "out_of_scope" in kinds:
        return Decision("out_of_scope")
    return Decision("not_understood")
