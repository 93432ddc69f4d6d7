"""The interface between the voice pipeline and whatever decides what the bot says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Reply:
    """Something the bot says; `hangup` ends the call after it has been spoken."""

    text: str
    hangup: bool = False


Acknowledge = Callable[[Reply], Awaitable[None]]


class DialogueSession(Protocol):
    """One call's conversation state."""

    def take_events(self) -> list[dict[str, Any]]:
        """What happened since the last call (ticket created, transfer, hangup …)."""
        ...

    async def start(self) -> list[Reply]:
        """What the bot says when the call connects."""
        ...

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        """The replies to one final caller utterance; `acknowledge` is called first with a
        short acknowledgement when understanding the turn will take a while (an LLM);
        `confidence`: the recogniser's certainty of the words (None: typed, or unknown)."""
        ...

    async def handle_dtmf(self, digits: str) -> list[Reply]:
        """The caller pressed keys (RFC 4733 digits or the chat's [dtmf:N])."""
        ...

    async def silence(self) -> list[Reply]:
        """The caller has said nothing for a while."""
        ...

    async def finish(self) -> list[dict[str, Any]]:
        """The call is over (either side hung up): the events of what is kept of it."""
        ...

    def expected_slot_type(self) -> str | None:
        """The type of the slot the bot just asked for (address, phone …), if any."""
        ...

    def completes_answer(self, words: str) -> bool | None:
        """Whether the caller's words so far hold a whole value for the slot the bot asked
        for (True), part of a number (False), or neither (None): the end of turn's hint."""
        ...


class DialogueEngine(Protocol):
    def new_session(
        self,
        call_id: str,
        caller: str | None,
        *,
        flow: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> DialogueSession:
        """A conversation; `flow` starts somewhere else than the main menu (an outbound
        survey), `data` fills its templates (contact name, ticket number …)."""
        ...
