"""What understanding produces: typed commands the flow engine executes.

One caller turn becomes a *list* of commands (several facts at once, a correction with its new
value, a question and the flow to come back to). The same schema constrains the LLM's JSON
output and types the local understanding's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

CommandKind = Literal[
    "start_flow",  # flow: which flow the caller wants
    "set_slot",  # slot + value: information the caller gave
    "correct_slot",  # slot + value: a value given before, corrected
    "clear_slot",  # slot: a value the caller says is wrong, without the right one yet
    "dont_know",  # the caller cannot give what was asked ("不知道", "记不清了")
    "ask_knowledge",  # question: a policy question for the knowledge base
    "request_human",  # the caller wants a person
    "emergency",  # value: "certain" (act now) or "possible" (ask once)
    "escalate",  # value: why a person must take over (anger, human_only)
    "affirm",  # yes to the bot's question
    "deny",  # no to the bot's question
    "relative",  # a family member answers for the person called
    "busy",  # the right person, but not now ("我在开车")
    "repeat",  # say that again
    "cancel",  # stop what we are doing
    "goodbye",  # the caller is done
    "out_of_scope",  # nothing the hotline can act on
    "machine",  # an answering machine, call-screening assistant or switchboard menu (rules only)
]

VALUE_KINDS = frozenset({"set_slot", "correct_slot"})


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CommandKind
    flow: str | None = None
    slot: str | None = None
    value: str | None = None
    question: str | None = None


class Commands(BaseModel):
    """The LLM's whole answer for one utterance."""

    model_config = ConfigDict(extra="forbid")

    commands: list[Command] = Field(max_length=8)


COMMAND_LIST = TypeAdapter(list[Command])
