"""The flow engine: runs designer flows step by step, driven by understood caller commands.

Flows decide what the bot says (the approved script); understanding only turns caller words
into commands. Each call gets a FlowSession bound to the FlowSet it started with. The session
holds its state (`SessionState`), ranks each turn's commands with the policy (`decide`), runs
steps with one runner per step kind (`step_runners`) and acts on the centre's systems through
`Effects`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from loguru import logger

from bot.dialogue.commands import Command
from bot.dialogue.effects import Effects
from bot.dialogue.engine import Acknowledge, Reply
from bot.dialogue.events import (
    Answered,
    Hangup,
    OutOfScope,
    Transfer,
)
from bot.dialogue.flow_actions import run_action
from bot.dialogue.policy import Decision, decide
from bot.dialogue.session_state import FlowFrame, SessionState, Waiting
from bot.dialogue.slot_filling import (
    capture_account,
    store_values,
    take_this_number,
    take_trigger,
    tells_the_problem,
    withdraw,
)
from bot.dialogue.slot_types import slot_type
from bot.dialogue.slot_types.base import plain
from bot.dialogue.slot_types.phone import THIS_NUMBER, continued, held_digits
from bot.dialogue.slot_types.spelling import spell_digits
from bot.dialogue.step_runners import NEXT, QUESTION, RUNNERS, STOP, WAIT, Answering, Outcome
from bot.dialogue.understanding import Expectation, Understanding
from bot.flows.flow_set import FlowSet
from bot.flows.model import ActionStep, AnswerStep, CollectStep, ConfirmStep, Flow, GotoStep
from bot.flows.templates import render
from bot.knowledge.answers import KnowledgeAnswer

# Readings that already say what the words are about (a relative answering "他住院了").
NOT_URGENT_READINGS = {"emergency", "relative", "busy", "request_human", "escalate"}
# Words shorter than this are answers, not an account that could tell an emergency.
MIN_URGENT_CHARS = 10
HISTORY_TURNS = 4
MAX_YES_NO_RETRIES = 2


class FlowEngine:
    """Shared by all calls of a worker: flows, understanding and the effects on the centre."""

    def __init__(
        self,
        flows: Callable[[], FlowSet],
        understanding: Callable[[FlowSet], Understanding],
        effects: Effects,
        today: Callable[[], dt.date] = dt.date.today,
        check_below: float = 0.0,
    ) -> None:
        """`check_below`: numbers, addresses and ratings heard with less recogniser confidence than
        this are said back to the caller before the flow goes on (asr.check_below)."""
        self._flows = flows
        self._understanding = understanding
        self.effects = effects
        self.today = today
        self.check_below = check_below

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
            flow_set,
            self._understanding(flow_set),
            self.effects,
            call_id,
            caller,
            flow,
            data or {},
            self.today,
            self.check_below,
        )


class FlowSession:
    """One call's conversation (implements DialogueSession)."""

    def __init__(
        self,
        flow_set: FlowSet,
        understanding: Understanding,
        effects: Effects,
        call_id: str,
        caller: str | None,
        start_flow: str | None,
        data: dict[str, Any],
        today: Callable[[], dt.date] = dt.date.today,
        check_below: float = 0.0,
    ) -> None:
        self.flow_set = flow_set
        self._check_below = check_below
        self.understanding = understanding
        self.effects = effects
        self._today = today
        self._behaviour = flow_set.behaviour
        self.prompts = self._behaviour.prompts
        self._start_flow = start_flow or self._behaviour.entry_flow
        self.state = SessionState(call_id=call_id, data={"caller": caller, **data})
        if self.state.data.get("ticket"):
            self.state.data["ticket_number"] = spell_digits(str(self.state.data["ticket"]))
        self.resumed = False

    # -- public API -------------------------------------------------------------------------

    @property
    def call_id(self) -> str:
        return self.state.call_id

    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def flow(self) -> str | None:
        return self.state.stack[-1].flow.name if self.state.stack else None

    @property
    def step(self) -> int | None:
        return self.state.stack[-1].pc if self.state.stack else None

    @property
    def slots(self) -> dict[str, Any]:
        return dict(self.state.stack[-1].slots) if self.state.stack else {}

    def take_events(self) -> list[dict[str, Any]]:
        events, self.state.events = self.state.events, []
        return [event.as_dict() for event in events]

    async def start(self) -> list[Reply]:
        self.push(self._start_flow)
        return await self._run()

    async def handle(
        self,
        utterance: str,
        acknowledge: Acknowledge | None = None,
        confidence: float | None = None,
    ) -> list[Reply]:
        state = self.state
        if state.ended:
            return []
        state.silences = 0
        state.heard_confidence = confidence
        expectation = self._expectation()
        if state.waiting is not None and state.waiting.held_digits:
            utterance = continued(state.waiting.held_digits, utterance)
            state.waiting.held_digits = ""
        if acknowledge is not None and self.understanding.slow(utterance, expectation):
            await acknowledge(Reply(self.prompts.acknowledge))
        try:
            commands = await self.understanding.understand(utterance, expectation)
        except Exception:  # understanding must never end a call
            logger.exception("understanding failed on {!r}", utterance)
            commands = []
        state.heard.append(utterance)
        if await self._urgent_by_meaning(utterance, commands):
            commands.append(Command(kind="emergency", value="possible"))
        if expectation.slot is not QUESTION and tells_the_problem(
            state.frame, expectation, utterance, commands, self._today()
        ):
            capture_account(state.frame, utterance, self._today())
        return await self._apply(commands, utterance)

    async def _urgent_by_meaning(self, utterance: str, commands: list[Command]) -> bool:
        """An emergency told in words no list holds ("药我都攒了一小瓶"): close in meaning to
        the designer's examples, it earns the one confirming question."""
        waiting = self.state.waiting
        if any(c.kind in NOT_URGENT_READINGS for c in commands) or (
            waiting and waiting.emergency_check
        ):
            return False
        if len(plain(utterance)) < MIN_URGENT_CHARS or THIS_NUMBER.search(utterance):
            return False  # an answer ("就打我现在这个手机就行"), not an account
        examples = self._behaviour.intents.emergency_examples
        return await self.effects.emergency_meant(
            utterance, examples, self.flow_set.example_accounts()
        )

    async def handle_dtmf(self, digits: str) -> list[Reply]:
        """Keypad input: a slot's key for a closed answer, a number typed and ended by #,
        0 for a person, a flow's key at the menu, 1/2 for yes/no."""
        state = self.state
        if state.ended:
            return []
        waiting = state.waiting
        slot = waiting.expectation.slot if waiting else None
        if waiting and slot is not None and slot.keys and digits in slot.keys:
            return await self._keyed_answer(waiting, slot.keys[digits], digits)
        if slot is not None and slot_type(slot).keyed_digits:
            state.keypad += digits.rstrip("#")
            if not digits.endswith("#"):
                return []  # the caller is still typing
            typed, state.keypad = state.keypad, ""
            return await self.handle(typed)
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

    async def _keyed_answer(self, waiting: Waiting, words: str, key: str) -> list[Reply]:
        """A closed answer given by key: the key's words, read by the slot's type as if said,
        with the key press as the evidence."""
        name, slot = waiting.expectation.slot_name, waiting.expectation.slot
        assert name is not None and slot is not None
        value = slot_type(slot).answer_value(words, slot, self._today())
        if value is None:  # the flow's lint refuses such keys; never store a guess
            return self._not_understood()
        self.state.frame.store(name, value, f"按键{key}（{words}）")
        self.state.waiting = None
        return await self._run()

    async def silence(self) -> list[Reply]:
        """The caller said nothing for a while: re-prompt, then give up politely."""
        state = self.state
        if state.ended:
            return []
        state.silences += 1
        if state.silences > self._behaviour.max_silence:
            if self._behaviour.silence_action == "transfer":
                return await self._escalated("silence")
            state.say(self.prompts.silence_goodbye)
            self.hangup(None)
            return self._flush()
        state.say(self.prompts.silence)
        state.say(state.last_prompt)
        return self._flush()

    async def finish(self) -> list[dict[str, Any]]:
        """The call is over, whoever ended it: a flow that keeps what was said runs its
        `on_early_end` action if the caller gave anything and the action has not run."""
        for frame in self.state.stack:
            action = frame.flow.on_early_end
            if action and action not in frame.actions_done and frame.evidence:
                await run_action(ActionStep(action=action), frame, self.state, self.effects)
        self.state.ended = True
        self.state.waiting = None
        return self.take_events()

    def expected_slot_type(self) -> str | None:
        slot = self._expectation().slot
        return slot_type(slot).asr_hint if slot is not None else None

    def completes_answer(self, words: str) -> bool | None:
        expectation = self._expectation()
        if expectation.awaiting != "slot" or expectation.slot is None:
            return None
        return slot_type(expectation.slot).completes(words, expectation.slot, self._today())

    # -- one turn -----------------------------------------------------------------------------

    async def _apply(self, commands: list[Command], utterance: str) -> list[Reply]:
        state, behaviour = self.state, self._behaviour
        waiting = state.waiting
        decision = decide(commands, behaviour.emergency_flow)
        match decision.move:
            case "emergency":
                return await self._switch(behaviour.emergency_flow, utterance)
            case "human":
                return await self._switch(behaviour.human_flow, utterance)
            case "escalate":
                assert decision.command is not None
                state.say(self.prompts.handover)
                self.transfer(decision.command.value or "escalation", announced=True)
                return self._flush()
        if waiting is not None and waiting.emergency_check:
            return await self._emergency_checked(decision, waiting, utterance)
        if decision.move == "check_emergency":
            rest = [c for c in commands if c.kind != "emergency"]
            return self._check_emergency(rest, utterance)
        if waiting is not None and waiting.offer_human:
            if decision.yes_no is True:
                return await self._switch(behaviour.human_flow, utterance)
            if decision.yes_no is False:
                state.no_match = 0
                state.waiting = None
                return await self._run()
            if waiting.previous is not None and decision.move not in ("goodbye", "cancel"):
                # Not an answer to the offer: the caller tried again, in other words.
                state.waiting = waiting.previous
                retried = await self.understanding.understand(utterance, self._expectation())
                return await self._apply(retried, utterance)
        match decision.move:
            case "goodbye":
                state.say(self.prompts.goodbye)
                self.hangup(None)
                return self._flush()
            case "cancel" if len(state.stack) > 1:
                state.say(self.prompts.cancelled)
                del state.stack[1:]
                state.waiting = None
                return await self._run(resumed=True)
            case "repeat" if waiting is not None:
                state.say(state.last_prompt)
                return self._flush()
        if waiting is None:
            return self._flush()
        if waiting.unsure is not None:
            return await self._knowledge_checked(decision, waiting, utterance)
        if waiting.checking is not None:
            return await self._heard_checked(decision, waiting, utterance)
        awaiting = waiting.expectation.awaiting
        match decision.move:
            case "machine" if self.state.frame.flow.on_machine:
                return await self._machine_answered()
            case "relative" | "busy":
                return await self._third_party(decision, utterance)
            case "start_flow":
                return await self._start_flow_from(decision, waiting, utterance)
            case "answer" | "not_understood" if awaiting == "slot":
                # The answer may be the account itself, gathered before the commands.
                return await self._answer_slot(decision, waiting, utterance)
            case "answer" if awaiting == "confirm":
                return await self._answer_confirm(decision, waiting, utterance)
            case "knowledge":
                assert decision.command is not None
                question = decision.command.question
                return await self._knowledge(utterance if question is None else question, waiting)
            case "out_of_scope" if awaiting == "menu":
                state.events.append(OutOfScope(utterance))
                state.say(self.prompts.out_of_scope)
                state.say(waiting.prompt)
                return self._flush()
        if awaiting == "confirm":
            return self._yes_or_no_again(waiting)
        if awaiting == "slot" and waiting.expectation.slot is QUESTION:
            return await self._question_given(utterance)
        if awaiting == "slot":
            return await self._slot_not_understood(waiting)
        return self._not_understood()

    async def _question_given(self, utterance: str) -> list[Reply]:
        self.state.frame.trigger = utterance
        self.state.waiting = None
        return await self._run()

    async def _start_flow_from(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        """Enter the flow the caller asked for, with the facts said in the same breath; mid-
        flow, another flow runs as a detour and the current one resumes after it."""
        assert decision.command is not None
        flow = decision.command.flow
        if flow not in self.flow_set.flows or flow == self.flow:
            if decision.values:
                return await self._apply(decision.values, utterance)
            return self._not_understood()
        if waiting.expectation.awaiting == "menu":
            self.state.frame.pc += 1  # resume after the menu when the flow is done
        self.state.waiting = None
        self.push(flow, utterance)
        store_values(self.state.frame, decision.values, utterance, self._today(), starting=True)
        return await self._run()

    async def _answer_slot(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        state = self.state
        frame = state.frame
        expectation = waiting.expectation
        name, slot = expectation.slot_name, expectation.slot
        assert name is not None and slot is not None
        if slot is QUESTION:
            return await self._question_given(utterance)
        store_values(frame, decision.values, utterance, self._today(), awaited=name)
        withdraw(frame, decision.values)
        if name not in frame.slots and decision.yes_no is not None:
            if slot.type in ("yes_no", "resolution"):
                frame.store(name, decision.yes_no, utterance)
        take_this_number(frame, utterance, state.data.get("caller"))
        if name not in frame.slots and decision.dont_know and not slot.required:
            frame.store(name, None, utterance)
        if name in frame.slots:
            state.no_match = 0
            state.waiting = None
            return await self._run()
        if decision.values and (not slot.required or slot.fallback is not None):
            # Other facts instead: an optional slot is not pressed for.
            frame.store(name, slot.fallback, "")
            state.waiting = None
            return await self._run()
        if decision.values:  # other facts, but not the one asked for: ask it again
            return await self._slot_not_understood(waiting, quietly=True)
        digits = held_digits(utterance)
        if slot_type(slot).completes(utterance, slot, self._today()) is False and digits:
            # "一三八 零零幺二" and a pause: the number goes on in the next words.
            waiting.held_digits = digits
            state.say(self.prompts.go_on)
            return self._flush()
        return await self._slot_not_understood(waiting)

    async def _answer_confirm(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        state = self.state
        frame = state.frame
        step = frame.flow.steps[frame.pc]
        assert isinstance(step, ConfirmStep)
        if waiting.expectation.read_back or waiting.which_correction:
            changed = store_values(
                frame, decision.values, utterance, self._today(), corrections=True
            )
            cleared = [c.slot for c in decision.values if c.kind == "clear_slot" and c.slot]
            if cleared:
                return await self._recollect(frame, cleared)
            if changed:
                state.say(self.prompts.corrected)
                state.waiting = None
                return await self._run()
            if decision.yes_no is True and not waiting.which_correction:
                return await self._confirmed(True)
            if decision.yes_no is True:  # "对" to "which one is wrong?": read it back again
                state.waiting = None
                return await self._run()
            if decision.yes_no is False and not waiting.which_correction:
                prompt = self.prompts.which_correction
                state.waiting = dataclasses.replace(waiting, which_correction=True, prompt=prompt)
                state.say(prompt)
                state.last_prompt = prompt
                return self._flush()
            return self._yes_or_no_again(waiting)
        stored = store_values(frame, decision.values, utterance, self._today())
        if decision.yes_no is False:
            return await self._confirmed(False)
        if decision.yes_no is True or stored:  # answering the survey is consent to it
            return await self._confirmed(True)
        return self._yes_or_no_again(waiting)

    async def _machine_answered(self) -> list[Reply]:
        """A machine took the call: whatever it said is no answer, so nothing is kept."""
        frame = self.state.frame
        assert frame.flow.on_machine is not None
        frame.slots.clear()
        frame.evidence.clear()
        self.state.waiting = None
        self.goto(frame.flow.on_machine)
        return await self._run()

    async def _third_party(self, decision: Decision, utterance: str) -> list[Reply]:
        """A family member answering, or the right person busy: where the confirm step says
        to go; a busy answer elsewhere is a no."""
        frame = self.state.frame
        step = frame.flow.steps[frame.pc]
        if isinstance(step, ConfirmStep):
            target = step.on_relative if decision.move == "relative" else step.on_busy
            if decision.move == "busy" and target is None:
                target = step.on_no
            if target:
                self.state.waiting = None
                self.goto(target)
                return await self._run()
        if decision.values:
            return await self._apply(decision.values, utterance)
        return self._not_understood()

    async def _recollect(self, frame: FlowFrame, names: list[str]) -> list[Reply]:
        """The caller says these values are wrong: ask for them again, then read back."""
        for name in names:
            if name in frame.slots:
                frame.slots.pop(name)
                frame.evidence.pop(name, None)
                frame.asked.discard(name)
        collect = next(
            (
                i
                for i, step in enumerate(frame.flow.steps)
                if isinstance(step, CollectStep) and any(n in step.slots for n in names)
            ),
            None,
        )
        self.state.waiting = None
        if collect is not None:
            frame.pc = collect
        return await self._run()

    def _mark_unsure(self, frame: FlowFrame) -> None:
        """Numbers, addresses and ratings taken from this turn's words, heard with the recogniser
        unsure of them, are to be said back (a typed or keyed turn has no confidence)."""
        state = self.state
        confidence = state.heard_confidence
        if confidence is None or confidence >= self._check_below or not state.heard:
            return
        words, today = state.heard[-1], self._today()
        for name, slot in frame.flow.slots.items():
            kind = slot_type(slot)
            if (
                kind.checked_when_unsure
                and frame.slots.get(name) is not None
                and frame.evidence.get(name) == words
                # the caller's own words carry it (not "就打这个电话": the caller's number)
                and kind.answer_value(words, slot, today) is not None
            ):
                frame.unsure[name] = words

    def _value_to_check(self, frame: FlowFrame) -> str | None:
        """The first value still unsure; a read-back step says them all back anyway."""
        step = frame.flow.steps[frame.pc]
        if isinstance(step, ConfirmStep) and step.read_back:
            return None
        return next(
            (n for n, words in frame.unsure.items() if frame.evidence.get(n) == words), None
        )

    def _check_heard(self, frame: FlowFrame, name: str) -> list[Reply]:
        slot = frame.flow.slots[name]
        value = slot_type(slot).spoken(frame.slots[name], slot)
        expectation = Expectation(
            "confirm",
            frame.flow.name,
            filled={name: frame.slots[name]},
            filled_slots={name: slot},
            read_back=True,
        )
        self.ask(expectation, render(self.prompts.check_heard, {"value": value}))
        assert self.state.waiting is not None
        self.state.waiting.checking = name
        return self._flush()

    async def _heard_checked(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        """Yes keeps the value; no asks for it again; the right value said instead replaces
        it (and is said back in turn if it too was heard unsure)."""
        state, frame = self.state, self.state.frame
        name = waiting.checking
        assert name is not None
        if store_values(frame, decision.values, utterance, self._today(), corrections=True):
            state.say(self.prompts.corrected)
            state.waiting = None
            return await self._run()
        cleared = any(c.kind == "clear_slot" and c.slot == name for c in decision.values)
        if decision.yes_no is False or cleared:
            frame.unsure.pop(name, None)
            return await self._recollect(frame, [name])
        if decision.yes_no is True:
            frame.unsure.pop(name, None)
            state.waiting = None
            return await self._run()
        return self._yes_or_no_again(waiting)

    def _yes_or_no_again(self, waiting: Waiting) -> list[Reply]:
        """An answer that is neither yes nor no is never taken as either: ask again."""
        waiting.retries += 1
        if waiting.retries > MAX_YES_NO_RETRIES:
            return self._offer_human()
        self.state.say(self.prompts.yes_or_no if not waiting.which_correction else "")
        self.state.say(waiting.prompt)
        return self._flush()

    def _check_emergency(self, pending: list[Command], utterance: str) -> list[Reply]:
        """The caller's words may describe an emergency: ask once, never guess."""
        state = self.state
        previous = state.waiting or Waiting(Expectation("nothing", self.flow or ""), "")
        prompt = self.prompts.emergency_check
        state.waiting = Waiting(
            Expectation("confirm", self.flow or "", prompt=prompt, emergency_check=True),
            prompt,
            emergency_check=True,
            emergency_words=utterance,
            previous=previous,
            pending=pending,
        )
        state.say(prompt)
        state.last_prompt = prompt
        return self._flush()

    async def _emergency_checked(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        if decision.yes_no is True or decision.move in ("emergency", "check_emergency"):
            return await self._switch(self._behaviour.emergency_flow, waiting.emergency_words)
        previous = waiting.previous
        self.state.waiting = previous if previous is not None and previous.prompt else None
        if self.state.waiting is None:
            return await self._run()
        replies = await self._apply(waiting.pending, waiting.emergency_words)
        if decision.yes_no is False:
            return replies
        # Not an answer to the check: the caller went on with the request, so this turn
        # answers whatever the request asks first.
        return await self.handle(utterance, confidence=self.state.heard_confidence)

    # -- values -------------------------------------------------------------------------------

    # -- not understood -----------------------------------------------------------------------

    async def _slot_not_understood(self, waiting: Waiting, quietly: bool = False) -> list[Reply]:
        """Ask again (`quietly`: without saying it was not understood — the caller answered
        something else), then the slot's fallback, on_fail, or a person."""
        state = self.state
        frame = state.frame
        name, slot = waiting.expectation.slot_name, waiting.expectation.slot
        assert name is not None and slot is not None
        frame.attempts[name] = frame.attempts.get(name, 0) + 1
        # An optional question the caller did not answer is not pressed (dialogs/README.md).
        attempts = slot.max_attempts if slot.required else 1
        if frame.attempts[name] < attempts or (quietly and frame.attempts[name] < 3):
            prompt = waiting.prompt if quietly else slot.reask or waiting.prompt
            if not quietly and not slot.reask:
                state.say(self.prompts.no_match)
            state.say(prompt)
            state.last_prompt = prompt
            return self._flush()
        state.waiting = None
        if slot.fallback is not None:
            frame.store(name, slot.fallback, "")
            return await self._run()
        if not slot.required:
            frame.slots.setdefault(name, None)
            return await self._run()
        step = frame.flow.steps[frame.pc]
        target = getattr(step, "on_fail", None)
        if target:
            self.goto(target)
            return await self._run()
        return self._offer_human()

    def _not_understood(self) -> list[Reply]:
        state = self.state
        state.no_match += 1
        if state.no_match >= self._behaviour.max_no_match:
            return self._offer_human()
        assert state.waiting is not None
        state.say(self.prompts.no_match)
        state.say(state.waiting.prompt)
        return self._flush()

    def _offer_human(self) -> list[Reply]:
        state = self.state
        state.no_match = 0
        prompt = self.prompts.offer_human
        previous = state.waiting if state.waiting and not state.waiting.offer_human else None
        state.waiting = Waiting(
            Expectation("confirm", self.flow or "", prompt=prompt),
            prompt,
            offer_human=True,
            previous=previous,
        )
        state.say(prompt)
        state.last_prompt = prompt
        return self._flush()

    async def _confirmed(self, yes: bool) -> list[Reply]:
        frame = self.state.frame
        step = frame.flow.steps[frame.pc]
        self.state.waiting = None
        if yes:
            frame.pc += 1
        else:
            assert isinstance(step, ConfirmStep)
            self.goto(step.on_no)
        return await self._run()

    # -- moving between flows -----------------------------------------------------------------

    async def _switch(self, flow: str, utterance: str) -> list[Reply]:
        """Leave whatever is in progress for the human or emergency flow."""
        self.state.waiting = None
        self.push(flow, utterance)
        return await self._run()

    async def _knowledge(self, question: str, waiting: Waiting) -> list[Reply]:
        """A policy question: at the menu the Q&A flow takes it; mid-flow the bot answers and
        comes back to what it asked."""
        if waiting.expectation.awaiting == "menu":
            qa = next((f for f in self.flow_set.flows.values() if _answers(f)), None)
            if qa is None:
                return self._not_understood()
            self.state.frame.pc += 1
            self.state.waiting = None
            self.push(qa.name, question)  # no question yet ("我想问个事"): the flow asks for it
            return await self._run()
        if await self.answer_question(question) != "grounded":
            self.state.said.clear()
            return self._not_understood()
        self.state.say(waiting.prompt)
        return self._flush()

    def push(self, flow: str, trigger: str | None = None) -> None:
        frame = FlowFrame(self.flow_set.flow(flow), trigger=trigger or None)
        self.state.stack.append(frame)
        if trigger:
            take_trigger(frame, trigger, self._today())
            take_this_number(frame, trigger, self.state.data.get("caller"))

    def goto(self, step_id: str) -> None:
        frame = self.state.frame
        frame.pc = next(i for i, s in enumerate(frame.flow.steps) if s.id == step_id)

    # -- running steps ------------------------------------------------------------------------

    async def _run(self, resumed: bool = False) -> list[Reply]:
        """Execute steps until the bot needs the caller's input or the call ends."""
        state = self.state
        self.resumed = resumed
        for _ in range(200):  # a flow that loops without asking anything is a design bug
            if state.ended:
                return self._flush()
            if not state.stack:
                state.say(self.prompts.goodbye)
                self.hangup(None)
                return self._flush()
            frame = state.frame
            if frame.pc >= len(frame.flow.steps):
                state.stack.pop()
                self.resumed = True
                continue
            self._mark_unsure(frame)
            unsure = self._value_to_check(frame)
            if unsure is not None:
                return self._check_heard(frame, unsure)
            step = frame.flow.steps[frame.pc]
            outcome = await RUNNERS[type(step)](self, frame, step)
            if outcome in (WAIT, STOP):
                return self._flush()
            if not isinstance(step, GotoStep):
                self.resumed = False
        raise RuntimeError(f"flow {self.flow} runs in circles without asking the caller")

    def values(self, frame: FlowFrame) -> dict[str, Any]:
        values = dict(self.state.data)
        for name, slot in frame.flow.slots.items():
            if name in frame.slots:
                values[name] = slot_type(slot).spoken(frame.slots[name], slot)
        return values

    def next_slot(self, frame: FlowFrame, step: CollectStep) -> str | None:
        return next((n for n in step.slots if n not in frame.slots and n not in frame.asked), None)

    def ask_slot(self, frame: FlowFrame, name: str) -> Outcome:
        frame.asked.add(name)
        slot = frame.flow.slots[name]
        expectation = Expectation(
            "slot",
            frame.flow.name,
            name,
            slot,
            {n: s for n, s in frame.flow.slots.items() if frame.slots.get(n) is None},
            filled={n: v for n, v in frame.slots.items() if v is not None},
            filled_slots={n: frame.flow.slots[n] for n, v in frame.slots.items() if v is not None},
        )
        return self.ask(expectation, render(slot.ask, self.values(frame)))

    def ask(self, expectation: Expectation, prompt: str) -> Outcome:
        state = self.state
        state.waiting = Waiting(dataclasses.replace(expectation, prompt=prompt), prompt)
        state.say(prompt)
        state.last_prompt = prompt
        return WAIT

    async def act(self, step: ActionStep, frame: FlowFrame) -> bool:
        return await run_action(step, frame, self.state, self.effects)

    async def answer_question(self, question: str, may_check: bool = False) -> Answering:
        """Answer from the knowledge base; with `may_check`, a document that only probably
        answers the question is named and the caller asked whether it is what they mean."""
        answer = await self.effects.answer(question)
        if may_check and answer.unconfirmed is not None:
            prompt = render(self.prompts.knowledge_check, {"title": answer.sources[0].title})
            expectation = Expectation(
                "confirm", self.flow or "", prompt=prompt, document_check=True
            )
            self.state.waiting = Waiting(expectation, prompt, question=question, unsure=answer)
            self.state.say(prompt)
            self.state.last_prompt = prompt
            return "checking"
        self._answered(question, answer, answer.grounded)
        self.state.say(answer.text)
        return "grounded" if answer.grounded else "ungrounded"

    def _answered(self, question: str, answer: KnowledgeAnswer, grounded: bool) -> None:
        sources = answer.sources if grounded == answer.grounded else answer.sources[:1]
        self.state.events.append(
            Answered(question, grounded, [dataclasses.asdict(source) for source in sources])
        )

    async def _knowledge_checked(
        self, decision: Decision, waiting: Waiting, utterance: str
    ) -> list[Reply]:
        """Yes: the document's answer. No: declined as not grounded. Anything else is the
        question put another way, answered afresh."""
        answer = waiting.unsure
        assert answer is not None and answer.unconfirmed is not None
        frame = self.state.frame
        step = frame.flow.steps[frame.pc]
        self.state.waiting = None
        if decision.yes_no is True:
            self._answered(waiting.question, answer, grounded=True)
            self.state.say(answer.unconfirmed)
            frame.pc += 1
        elif decision.yes_no is False:
            self._answered(waiting.question, answer, grounded=False)
            self.state.say(answer.text)
            on_ungrounded = step.on_ungrounded if isinstance(step, AnswerStep) else None
            if on_ungrounded:
                self.goto(on_ungrounded)
            else:
                frame.pc += 1
        else:
            frame.trigger = utterance
        return await self._run()

    async def escalate(self, reason: str) -> Outcome:
        self.state.say(self.prompts.technical_problem)
        return self.transfer(reason, announced=True)

    async def _escalated(self, reason: str) -> list[Reply]:
        await self.escalate(reason)
        return self._flush()

    def transfer(self, reason: str, announced: bool = False) -> Outcome:
        """Hand over to a person, always announced. A web call has no phone leg to transfer:
        the caller is told so and a callback work order is opened instead."""
        state = self.state
        collected = {n: v for f in state.stack for n, v in f.slots.items() if v is not None}
        needs = [frame.trigger for frame in state.stack if frame.trigger]
        state.events.append(Transfer(reason, self.flow, collected, needs))
        callback = "callback" in self.flow_set.flows
        if state.data.get("channel") == "webrtc" and callback and self.flow != "callback":
            state.say(self.prompts.web_callback)
            state.data["callback_reason"] = f"网页来电需人工处理（{reason}）：{'；'.join(needs)}"
            state.waiting = None
            self.push("callback")
            return NEXT
        if not announced and not state.said:
            state.say(self.prompts.handover)
        state.ended = True
        state.waiting = None
        return STOP

    def hangup(self, step: str | None) -> None:
        self.state.events.append(Hangup(step))
        self.state.ended = True
        self.state.waiting = None

    def _expectation(self) -> Expectation:
        state = self.state
        history = tuple(state.heard[-HISTORY_TURNS:])
        if state.waiting is not None:
            return dataclasses.replace(state.waiting.expectation, history=history)
        return Expectation("nothing", self.flow or "", history=history)

    def _flush(self) -> list[Reply]:
        said, self.state.said = self.state.said, []
        if not said:
            return []
        return [Reply("".join(said), hangup=self.state.ended)]


def _answers(flow: Flow) -> bool:
    return any(isinstance(step, AnswerStep) for step in flow.steps)
