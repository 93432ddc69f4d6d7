"""The flow engine: runs designer flows step by step, driven by understood caller commands.

Flows decide what the bot says (the approved script); understanding only turns caller words
into commands. Each call gets a FlowSession bound to the FlowSet it started with.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from loguru import logger

from bot.dialogue.actions import TicketActions
from bot.dialogue.commands import Command
from bot.dialogue.engine import Reply
from bot.dialogue.slot_values import extract_value, spell_digits, spoken_value
from bot.dialogue.understanding import Expectation, Understanding
from bot.flows.conditions import evaluate, parse_condition
from bot.flows.flow_set import FlowSet
from bot.flows.model import (
    ActionStep,
    AnswerStep,
    BranchStep,
    CollectStep,
    ConfirmStep,
    Flow,
    FlowStep,
    GotoStep,
    HangupStep,
    MenuStep,
    SayStep,
    Slot,
    TransferStep,
)
from bot.flows.templates import render
from bot.redis_guard import StoreUnavailable

Event = dict[str, Any]
# Slot types read from the utterance that started a flow without being asked for.
VOLUNTEERED = {"phone", "id_card", "address", "date"}
QUESTION = Slot(type="text", ask="")


class KnowledgeAnswerer(Protocol):
    def answer(self, question: str) -> Any: ...


@dataclass
class _Frame:
    """One flow in progress: where it is and what it has collected."""

    flow: Flow
    pc: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)
    attempts: dict[str, int] = field(default_factory=dict)
    trigger: str | None = None  # the utterance that started this flow


@dataclass
class _Waiting:
    expectation: Expectation
    prompt: str
    offer_human: bool = False


class FlowEngine:
    """Shared by all calls of a worker: flows, understanding, knowledge, actions."""

    def __init__(
        self,
        flows: Callable[[], FlowSet],
        understanding: Callable[[FlowSet], Understanding],
        knowledge: KnowledgeAnswerer,
        actions: TicketActions,
    ) -> None:
        self._flows = flows
        self._understanding = understanding
        self.knowledge = knowledge
        self.actions = actions

    def new_session(
        self,
        call_id: str,
        caller: str | None,
        *,
        flow: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> FlowSession:
        flow_set = self._flows()
        return FlowSession(
            self, flow_set, self._understanding(flow_set), call_id, caller, flow, data or {}
        )


class FlowSession:
    """One call's conversation (implements DialogueSession)."""

    def __init__(
        self,
        engine: FlowEngine,
        flow_set: FlowSet,
        understanding: Understanding,
        call_id: str,
        caller: str | None,
        start_flow: str | None,
        data: dict[str, Any],
    ) -> None:
        self._engine = engine
        self.flow_set = flow_set
        self.understanding = understanding
        self.call_id = call_id
        self._behaviour = flow_set.behaviour
        self._start_flow = start_flow or self._behaviour.entry_flow
        self.data: dict[str, Any] = {"caller": caller, **data}
        if self.data.get("ticket"):
            self.data["ticket_number"] = spell_digits(str(self.data["ticket"]))
        self._stack: list[_Frame] = []
        self._waiting: _Waiting | None = None
        self._said: list[str] = []
        self._last_prompt = ""
        self._no_match = 0
        self._silences = 0
        self.ended = False
        self.events: list[Event] = []

    # -- public API -------------------------------------------------------------------------

    @property
    def flow(self) -> str | None:
        return self._stack[-1].flow.name if self._stack else None

    @property
    def step(self) -> int | None:
        return self._stack[-1].pc if self._stack else None

    @property
    def slots(self) -> dict[str, Any]:
        return dict(self._stack[-1].slots) if self._stack else {}

    def take_events(self) -> list[Event]:
        events, self.events = self.events, []
        return events

    async def start(self) -> list[Reply]:
        self._push(self._start_flow)
        return await self._run()

    async def handle(self, utterance: str) -> list[Reply]:
        if self.ended:
            return []
        self._silences = 0
        expectation = self._expectation()
        try:
            commands = await self.understanding.understand(utterance, expectation)
        except Exception:  # understanding must never end a call
            logger.exception("understanding failed on {!r}", utterance)
            commands = []
        return await self._apply(commands, utterance)

    async def handle_dtmf(self, digits: str) -> list[Reply]:
        """Keypad input: 0 for a person, a flow's key at the menu, digits for number slots."""
        if self.ended:
            return []
        waiting = self._waiting
        if digits == "0":
            return await self._apply([Command(kind="request_human")], digits)
        if waiting and waiting.expectation.awaiting == "menu":
            for flow in self.flow_set.flows.values():
                if flow.triggers.dtmf == digits:
                    return await self._apply([Command(kind="start_flow", flow=flow.name)], "")
        if waiting and waiting.expectation.awaiting == "confirm" and digits in ("1", "2"):
            return await self._apply([Command(kind="affirm" if digits == "1" else "deny")], "")
        if waiting and waiting.expectation.slot is not None:
            return await self.handle(digits.rstrip("#"))
        return await self._apply([], digits)

    async def silence(self) -> list[Reply]:
        """The caller said nothing for a while: re-prompt, then give up politely."""
        if self.ended:
            return []
        self._silences += 1
        if self._silences > self._behaviour.max_silence:
            if self._behaviour.silence_action == "transfer":
                return await self._escalate("silence")
            self._say(self._behaviour.prompts.silence_goodbye)
            self._hangup()
            return self._flush()
        self._say(self._behaviour.prompts.silence)
        self._say(self._last_prompt)
        return self._flush()

    # -- commands -----------------------------------------------------------------------------

    async def _apply(self, commands: list[Command], utterance: str) -> list[Reply]:
        kinds = {command.kind for command in commands}
        waiting = self._waiting
        behaviour = self._behaviour
        start = next((c for c in commands if c.kind == "start_flow"), None)
        if start and start.flow == behaviour.emergency_flow:
            return await self._switch(behaviour.emergency_flow, utterance)
        if "request_human" in kinds:
            return await self._switch(behaviour.human_flow, utterance)
        escalation = next((c for c in commands if c.kind == "escalate"), None)
        if escalation is not None:
            self._say(behaviour.prompts.handover)
            self._transfer(escalation.value or "escalation")
            return self._flush()
        if "repeat" in kinds and waiting:
            self._say(self._last_prompt)
            return self._flush()
        if waiting and waiting.offer_human:
            if "affirm" in kinds:
                return await self._switch(behaviour.human_flow, utterance)
            if "deny" in kinds:
                self._no_match = 0
                self._waiting = None
                return await self._run()
        if "goodbye" in kinds:
            self._say(behaviour.prompts.goodbye)
            self._hangup()
            return self._flush()
        if "cancel" in kinds and len(self._stack) > 1:
            self._say(behaviour.prompts.cancelled)
            del self._stack[1:]
            self._waiting = None
            return await self._run(resumed=True)
        if waiting is None:
            return self._flush()
        awaiting = waiting.expectation.awaiting
        if awaiting == "menu":
            if start and start.flow in self.flow_set.flows:
                return await self._enter(start.flow, utterance)
            question = next((c for c in commands if c.kind == "ask_knowledge"), None)
            if question is not None:
                return await self._answer_inline(question.question or utterance)
            if "out_of_scope" in kinds:
                self.events.append({"type": "out_of_scope", "utterance": utterance})
                self._say(behaviour.prompts.out_of_scope)
                self._say(waiting.prompt)
                return self._flush()
        elif awaiting == "confirm" and kinds & {"affirm", "deny"}:
            self._no_match = 0
            return await self._confirmed("affirm" in kinds)
        elif awaiting == "slot" and waiting.expectation.slot is QUESTION:
            self._stack[-1].trigger = utterance
            self._waiting = None
            return await self._run()
        elif awaiting == "slot":
            if self._fill_slots(commands):
                self._no_match = 0
                self._waiting = None
                return await self._run()
            return await self._slot_not_understood()
        return self._not_understood()

    def _fill_slots(self, commands: list[Command]) -> bool:
        """Store the slot values given; True when the awaited slot got one."""
        frame = self._stack[-1]
        waiting = self._waiting
        assert waiting is not None
        got_awaited = False
        for command in commands:
            if command.kind in ("affirm", "deny") and waiting.expectation.slot is not None:
                if waiting.expectation.slot.type == "yes_no":
                    frame.slots[waiting.expectation.slot_name or ""] = command.kind == "affirm"
                    got_awaited = True
                continue
            if command.kind != "set_slot" or command.slot not in frame.flow.slots:
                continue
            slot = frame.flow.slots[command.slot]
            value = extract_value(slot, command.value or "") if command.value else None
            if value is None and slot.type == "yes_no" and command.value in ("true", "false"):
                value = command.value == "true"
            if value is None:
                continue
            frame.slots[command.slot] = value
            got_awaited |= command.slot == waiting.expectation.slot_name
        return got_awaited

    async def _slot_not_understood(self) -> list[Reply]:
        frame = self._stack[-1]
        waiting = self._waiting
        assert waiting is not None and waiting.expectation.slot_name is not None
        name, slot = waiting.expectation.slot_name, waiting.expectation.slot
        assert slot is not None
        frame.attempts[name] = frame.attempts.get(name, 0) + 1
        if frame.attempts[name] < slot.max_attempts:
            self._say(slot.reask or self._behaviour.prompts.no_match)
            if not slot.reask:
                self._say(waiting.prompt)
            self._last_prompt = slot.reask or waiting.prompt
            return self._flush()
        self._waiting = None
        if not slot.required:
            frame.slots.setdefault(name, None)
            return await self._run()
        step = frame.flow.steps[frame.pc]
        target = getattr(step, "on_fail", None)
        if target:
            self._goto(target)
            return await self._run()
        return self._offer_human()

    def _not_understood(self) -> list[Reply]:
        self._no_match += 1
        if self._no_match >= self._behaviour.max_no_match:
            return self._offer_human()
        assert self._waiting is not None
        self._say(self._behaviour.prompts.no_match)
        self._say(self._waiting.prompt)
        return self._flush()

    def _offer_human(self) -> list[Reply]:
        self._no_match = 0
        prompt = self._behaviour.prompts.offer_human
        self._waiting = _Waiting(Expectation("confirm", self.flow or ""), prompt, offer_human=True)
        self._say(prompt)
        self._last_prompt = prompt
        return self._flush()

    async def _confirmed(self, yes: bool) -> list[Reply]:
        frame = self._stack[-1]
        step = frame.flow.steps[frame.pc]
        self._waiting = None
        if yes:
            frame.pc += 1
        else:
            assert isinstance(step, ConfirmStep)
            self._goto(step.on_no)
        return await self._run()

    async def _switch(self, flow: str, utterance: str) -> list[Reply]:
        """Leave whatever is in progress for the human or emergency flow."""
        self._waiting = None
        self._push(flow, utterance)
        return await self._run()

    async def _enter(self, flow: str, utterance: str) -> list[Reply]:
        self._waiting = None
        self._stack[-1].pc += 1  # resume after the menu when the flow is done
        self._push(flow, utterance)
        return await self._run()

    async def _answer_inline(self, question: str) -> list[Reply]:
        qa = next((f for f in self.flow_set.flows.values() if _answers(f)), None)
        if qa is None:
            return self._not_understood()
        return await self._enter(qa.name, question)

    # -- running steps ----------------------------------------------------------------------

    def _push(self, flow: str, trigger: str | None = None) -> None:
        frame = _Frame(self.flow_set.flow(flow), trigger=trigger or None)
        if trigger:  # take what the caller already said ("楼下饭店太吵了" → category, description)
            for name, slot in frame.flow.slots.items():
                if slot.fill_from_trigger or slot.type in VOLUNTEERED:
                    value = extract_value(slot, trigger)
                    if value is not None:
                        frame.slots[name] = value
        self._stack.append(frame)

    def _goto(self, step_id: str) -> None:
        frame = self._stack[-1]
        frame.pc = next(i for i, s in enumerate(frame.flow.steps) if s.id == step_id)

    def _values(self, frame: _Frame) -> dict[str, Any]:
        values = dict(self.data)
        for name, slot in frame.flow.slots.items():
            if name in frame.slots:
                values[name] = spoken_value(slot, frame.slots[name])
        return values

    def _raw_values(self, frame: _Frame) -> dict[str, Any]:
        return {**self.data, **frame.slots}

    async def _run(self, resumed: bool = False) -> list[Reply]:
        """Execute steps until the bot needs the caller's input or the call ends."""
        for _ in range(200):  # a flow that loops without asking anything is a design bug
            if self.ended:
                return self._flush()
            if not self._stack:
                self._say(self._behaviour.prompts.goodbye)
                self._hangup()
                return self._flush()
            frame = self._stack[-1]
            if frame.pc >= len(frame.flow.steps):
                self._stack.pop()
                resumed = True
                continue
            step = frame.flow.steps[frame.pc]
            values = self._values(frame)
            match step:
                case SayStep():
                    self._say(render(step.say, values))
                    frame.pc += 1
                case CollectStep():
                    slot_name = next(
                        (n for n in step.slots if n not in frame.slots and n not in frame.asked),
                        None,
                    )
                    if slot_name is None:
                        frame.pc += 1
                        continue
                    frame.asked.add(slot_name)
                    slot = frame.flow.slots[slot_name]
                    return self._ask(
                        self._slot_expectation(frame, slot_name, slot), slot.ask, values
                    )
                case ConfirmStep():
                    expectation = Expectation("confirm", frame.flow.name)
                    return self._ask(expectation, step.confirm, values)
                case MenuStep():
                    prompt = self._behaviour.prompts.anything_else if resumed else step.menu
                    expectation = Expectation("menu", frame.flow.name)
                    return self._ask(expectation, prompt, values)
                case BranchStep():
                    raw = self._raw_values(frame)
                    target = next(
                        (c.goto for c in step.branch if evaluate(parse_condition(c.when), raw)),
                        step.otherwise,
                    )
                    if target:
                        self._goto(target)
                    else:
                        frame.pc += 1
                case ActionStep():
                    if not await self._act(step, frame):
                        return await self._escalate("system_error")
                    frame.pc += 1
                case AnswerStep():
                    if not frame.trigger:
                        expectation = Expectation("slot", frame.flow.name, "question", QUESTION)
                        return self._ask(expectation, step.ask, values)
                    grounded = await self._answer(frame.trigger)
                    if grounded or not step.on_ungrounded:
                        frame.pc += 1
                    else:
                        self._goto(step.on_ungrounded)
                case GotoStep():
                    self._goto(step.goto)
                case FlowStep():
                    frame.pc += 1
                    self._push(step.flow)
                case TransferStep():
                    self._transfer(step.transfer)
                case HangupStep():
                    self._say(render(step.hangup, values))
                    self._hangup(step.id)
            resumed = False if not isinstance(step, GotoStep) else resumed
        raise RuntimeError(f"flow {self.flow} runs in circles without asking the caller")

    def _slot_expectation(self, frame: _Frame, name: str, slot: Slot) -> Expectation:
        open_slots = {n: s for n, s in frame.flow.slots.items() if n not in frame.slots}
        return Expectation("slot", frame.flow.name, name, slot, open_slots)

    def _ask(self, expectation: Expectation, prompt: str, values: dict[str, Any]) -> list[Reply]:
        text = render(prompt, values)
        self._waiting = _Waiting(dataclasses.replace(expectation, prompt=text), text)
        self._say(text)
        self._last_prompt = text
        return self._flush()

    async def _act(self, step: ActionStep, frame: _Frame) -> bool:
        actions = self._engine.actions
        try:
            if step.action == "create_ticket":
                # The caller's number stands in for a contact number not asked for, and the
                # system may say why a ticket is opened (a callback after a failed transfer).
                fields = dict(frame.slots)
                fields["contact_phone"] = fields.get("contact_phone") or self.data.get("caller")
                if self.data.get("callback_reason") and not fields.get("description"):
                    fields["description"] = self.data["callback_reason"]
                ticket = await actions.create_ticket(self.call_id, fields)
                self.data["ticket"] = ticket.number
                self.data["ticket_number"] = spell_digits(ticket.number)
                self.events.append({"type": "ticket_created", "ticket": ticket.model_dump()})
            else:
                result = await actions.record_survey(
                    self.call_id, self.data.get("ticket"), frame.slots
                )
                self.events.append({"type": "survey_recorded", "survey": result.model_dump()})
        except StoreUnavailable as exc:
            logger.error(f"call {self.call_id}: {step.action} failed: {exc}")
            self.events.append(
                {"type": "action_failed", "action": step.action, "slots": dict(frame.slots)}
            )
            return False
        return True

    async def _answer(self, question: str) -> bool:
        answer = await asyncio.to_thread(self._engine.knowledge.answer, question)
        self.events.append(
            {
                "type": "answer",
                "question": question,
                "grounded": answer.grounded,
                "sources": [dataclasses.asdict(source) for source in answer.sources],
            }
        )
        self._say(answer.text)
        return bool(answer.grounded)

    async def _escalate(self, reason: str) -> list[Reply]:
        self._say(self._behaviour.prompts.technical_problem)
        self._transfer(reason)
        return self._flush()

    def _transfer(self, reason: str) -> None:
        """Hand over to a person; the event carries what the agent needs to pick up: where
        the caller was and what they had already said (every flow on the stack)."""
        collected = {
            name: value
            for frame in self._stack
            for name, value in frame.slots.items()
            if value is not None
        }
        needs = [frame.trigger for frame in self._stack if frame.trigger]
        self.events.append(
            {
                "type": "transfer",
                "reason": reason,
                "at": time.time(),
                "flow": self.flow,
                "slots": collected,
                "caller_said": needs,
            }
        )
        self.ended = True
        self._waiting = None

    def _hangup(self, step: str | None = None) -> None:
        """`step`: the flow step that ended the call, if one did (campaigns read it)."""
        self.events.append({"type": "hangup", "step": step})
        self.ended = True
        self._waiting = None

    def expected_slot_type(self) -> str | None:
        slot = self._expectation().slot
        return slot.type if slot is not None else None

    def _expectation(self) -> Expectation:
        if self._waiting is not None:
            return self._waiting.expectation
        return Expectation("nothing", self.flow or "")

    def _say(self, text: str) -> None:
        if text:
            self._said.append(text)

    def _flush(self) -> list[Reply]:
        said, self._said = self._said, []
        if not said:
            return []
        return [Reply("".join(said), hangup=self.ended)]


def _answers(flow: Flow) -> bool:
    return any(isinstance(step, AnswerStep) for step in flow.steps)
