"""What one call's conversation holds: the flows in progress and what the bot is waiting for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.dialogue.commands import Command
from bot.dialogue.events import Event
from bot.dialogue.understanding import Expectation
from bot.flows.model import Flow
from bot.knowledge.answers import KnowledgeAnswer


@dataclass
class FlowFrame:
    """One flow in progress: where it is and what it has collected."""

    flow: Flow
    pc: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    # The caller's words each slot value came from (audit evidence).
    evidence: dict[str, str] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    trigger: str | None = None  # the utterance that started this flow
    # Every clause in which the caller described the problem, in order.
    account: list[str] = field(default_factory=list)
    actions_done: set[str] = field(default_factory=set)
    # Values heard with the recogniser unsure of them, by slot, with the words they came
    # from: said back to the caller before the flow goes on (a later value replaces the mark).
    unsure: dict[str, str] = field(default_factory=dict)

    def store(self, name: str, value: Any, words: str) -> None:
        self.slots[name] = value
        self.evidence[name] = words


@dataclass
class Waiting:
    """The question the bot is waiting on an answer to."""

    expectation: Expectation
    prompt: str
    offer_human: bool = False
    which_correction: bool = False  # after "no" to a read-back: which value is wrong?
    # The first digits of a number the caller stopped partway through: the next words go on.
    held_digits: str = ""
    emergency_check: bool = False  # the caller may have described an emergency
    emergency_words: str = ""
    # Where the call was before the emergency check, and the rest of that turn's commands.
    previous: Waiting | None = None
    pending: list[Command] = field(default_factory=list)
    # A knowledge answer waiting on the caller to confirm its document, and the question.
    unsure: KnowledgeAnswer | None = None
    question: str = ""
    retries: int = 0  # answers that did not settle this question
    checking: str | None = None  # the slot whose value, heard unsure, is being said back


@dataclass
class SessionState:
    call_id: str
    data: dict[str, Any]
    stack: list[FlowFrame] = field(default_factory=list)
    waiting: Waiting | None = None
    said: list[str] = field(default_factory=list)
    last_prompt: str = ""
    no_match: int = 0
    silences: int = 0
    keypad: str = ""  # digits typed so far for a number slot, until #
    ended: bool = False
    events: list[Event] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)  # the caller's utterances, in order
    # The recogniser's confidence in the last utterance (None: typed, keyed or unknown).
    heard_confidence: float | None = None

    @property
    def frame(self) -> FlowFrame:
        return self.stack[-1]

    def say(self, text: str) -> None:
        if text:
            self.said.append(text)
