"""The contract between the flow engine and whoever understands the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.dialogue.commands import Command
from bot.flows.model import Slot

Awaiting = Literal["menu", "slot", "confirm", "nothing"]


@dataclass(frozen=True)
class Expectation:
    """What the bot just asked, so an answer can be read in context."""

    awaiting: Awaiting
    flow: str
    slot_name: str | None = None
    slot: Slot | None = None
    # Other slots of the current flow the caller may volunteer at the same time.
    open_slots: dict[str, Slot] = field(default_factory=dict)
    prompt: str = ""  # what the bot said when it asked
    # Values already collected in this flow (a read-back may correct them).
    filled: dict[str, Any] = field(default_factory=dict)
    filled_slots: dict[str, Slot] = field(default_factory=dict)
    # The caller's last few turns in this call, oldest first (context for the LLM).
    history: tuple[str, ...] = ()
    # A read-back (a confirm step over collected values), not a consent question.
    read_back: bool = False
    # The menu after a task ("还有其他可以帮您的吗"): "没别的了" ends the call.
    anything_else: bool = False
    # "您是想了解《…》里的规定吗": an acknowledgement ("好的", "行 明白了") takes the document.
    document_check: bool = False
    # "请问现在是否有人身安全危险…": only a plain no ("没有", "不是") is no; anything else,
    # "对 …还是一点动静都没有" or "是真的", is an emergency (a person decides).
    emergency_check: bool = False


class Understanding(Protocol):
    name: str
    last_source: str  # which reader produced the last commands (for designers' traces)

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]: ...

    def slow(self, utterance: str, expectation: Expectation) -> bool:
        """Whether understanding this turn takes long enough (an LLM call) that the caller
        should hear an acknowledgement first."""
        ...
