"""Understanding without an LLM: keyword and example matching plus typed slot extractors.

Always available, deterministic and fast (a millisecond): the fallback when the LLM is down or
slow, and the first reader of every deterministic answer (numbers, dates, yes/no …).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from bot.dialogue.commands import Command
from bot.dialogue.extractors import extract_yes_no
from bot.dialogue.intent_classifier import IntentClassifier
from bot.dialogue.slot_values import DETERMINISTIC, extract_value
from bot.dialogue.understanding import Expectation
from bot.flows.flow_set import FlowSet

GLOBAL_THRESHOLD = 0.45
FLOW_THRESHOLD = 0.25
# Longer requests that match no flow still go to the knowledge base, which may decline.
MIN_QUESTION_CHARS = 6
# Words that make an utterance a question for the knowledge base.
QUESTION_CUES = re.compile(
    r"怎么|如何|什么|哪里|哪儿|多少|多久|能不能|可不可以|可以.*吗|需要|吗|呢|？|\?"
)


class LocalUnderstanding:
    name = "local"
    last_source = "local"

    def __init__(self, flow_set: FlowSet, today: Callable[[], dt.date] = dt.date.today) -> None:
        behaviour = flow_set.behaviour
        intents = behaviour.intents
        self._emergency_flow = behaviour.emergency_flow
        self._emergency_words = tuple(intents.emergency)
        self._escalations = {"anger": tuple(intents.anger), "human_only": tuple(intents.human_only)}
        self._globals = IntentClassifier(
            {
                "request_human": intents.human,
                "repeat": intents.repeat,
                "goodbye": intents.goodbye,
                "cancel": intents.cancel,
            }
        )
        self._flows = IntentClassifier(
            {f.name: f.triggers.examples for f in flow_set.flows.values() if f.triggers.examples}
        )
        # Words a designer listed for a flow's categories ("吵" → 噪音扰民) also pick the flow.
        self._category_words = {
            flow.name: [
                word
                for slot in flow.slots.values()
                if slot.fill_from_trigger
                for words in (slot.values or {}).values()
                for word in words
            ]
            for flow in flow_set.flows.values()
        }
        self._today = today

    def global_command(self, text: str) -> Command | None:
        """Emergencies, escalations (anger, human-only topics) and the always-available intents
        (person, repeat, goodbye, cancel)."""
        if any(word in text for word in self._emergency_words):
            return Command(kind="start_flow", flow=self._emergency_flow)
        for reason, words in self._escalations.items():
            if any(word in text for word in words):
                return Command(kind="escalate", value=reason)
        ranked = self._globals.classify(text)
        if ranked and ranked[0][1] >= GLOBAL_THRESHOLD:
            return Command(kind=ranked[0][0])  # type: ignore[arg-type]
        return None

    def slot_commands(self, text: str, expectation: Expectation) -> list[Command]:
        """The awaited slot's value first, then any other open slot the caller volunteered."""
        commands = []
        if expectation.slot is not None and expectation.slot_name is not None:
            value = extract_value(expectation.slot, text, self._today)
            if value is not None:
                commands.append(Command(kind="set_slot", slot=expectation.slot_name, value=text))
        for name, slot in expectation.open_slots.items():
            if name != expectation.slot_name and slot.type in DETERMINISTIC - {"yes_no", "enum"}:
                if extract_value(slot, text, self._today) is not None:
                    commands.append(Command(kind="set_slot", slot=name, value=text))
        return commands

    def yes_no(self, text: str) -> Command | None:
        answer = extract_yes_no(text)
        if answer is None:
            return None
        return Command(kind="affirm" if answer else "deny")

    def route(self, text: str) -> Command:
        """At the menu: which flow the caller wants, or a question for the knowledge base."""
        ranked = self._flows.classify(text)
        if ranked and ranked[0][1] >= FLOW_THRESHOLD:
            return Command(kind="start_flow", flow=ranked[0][0])
        for flow, words in self._category_words.items():
            if any(word in text for word in words):
                return Command(kind="start_flow", flow=flow)
        if QUESTION_CUES.search(text) or len(text) >= MIN_QUESTION_CHARS:
            # The knowledge base decides whether it is a policy question it can answer.
            return Command(kind="ask_knowledge", question=text)
        return Command(kind="out_of_scope")

    def unsure(self, text: str, expectation: Expectation, commands: list[Command]) -> bool:
        """Whether these commands are guesses worth a second opinion (from the LLM)."""
        if not commands:
            return True
        if expectation.awaiting != "menu":
            return False
        kind = commands[0].kind
        return kind == "out_of_scope" or (
            kind == "ask_knowledge" and not QUESTION_CUES.search(text.strip())
        )

    async def understand(self, utterance: str, expectation: Expectation) -> list[Command]:
        text = utterance.strip()
        if not text:
            return []
        special = self.global_command(text)
        if special is not None and special.kind in ("start_flow", "request_human", "escalate"):
            return [special]
        fallback = [special] if special is not None else []
        match expectation.awaiting:
            case "confirm":
                answer = self.yes_no(text)
                return [answer] if answer else fallback
            case "slot":
                commands = self.slot_commands(text, expectation)
                slot = expectation.slot
                if not commands and slot is not None and slot.type == "yes_no":
                    answer = self.yes_no(text)
                    commands = [answer] if answer else []
                return commands or fallback
            case "menu":
                return fallback or [self.route(text)]
        return fallback
