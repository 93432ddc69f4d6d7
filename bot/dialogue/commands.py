"""What understanding produces: structured commands the flow engine executes.

The same schema constrains the LLM's JSON output and types the local understanding's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

CommandKind = Literal[
    "start_flow",  # flow: which flow the caller wants
    "set_slot",  # slot + value: information the caller gave
    "ask_knowledge",  # question: a policy question for the knowledge base
    "request_human",  # the caller wants a person
    "escalate",  # value: why a person must take over (anger, human_only)
    "affirm",  # yes to the bot's question
    "deny",  # no to the bot's question
    "repeat",  # say that again
    "cancel",  # stop what we are doing
    "goodbye",  # the caller is done
    "out_of_scope",  # nothing the hotline can act on
]


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

    commands: list[Command] = Field(max_length=6)


COMMANDS_SCHEMA = Commands.model_json_schema()
COMMAND_LIST = TypeAdapter(list[Command])
