"""One runner per flow step kind: what the bot does when a flow reaches that step.

A runner returns `NEXT` (go on to the step the frame now points at), `WAIT` (the bot asked
something and waits for the caller) or `STOP` (the call is ending). Runners act through the
`Conversation` protocol, which the session implements.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, Protocol

from bot.dialogue.effects import Effects
from bot.dialogue.session_state import FlowFrame, SessionState
from bot.dialogue.understanding import Expectation
from bot.flows.conditions import evaluate, parse_condition
from bot.flows.model import (
    ActionStep,
    AnswerStep,
    BranchStep,
    CollectStep,
    ConfirmStep,
    FlowStep,
    GlobalPrompts,
    GotoStep,
    HangupStep,
    MenuStep,
    SayStep,
    Slot,
    TransferStep,
)
from bot.flows.templates import render

Outcome = Literal["next", "wait", "stop"]
# A knowledge answer given, declined, or waiting on the caller to confirm the document.
Answering = Literal["grounded", "ungrounded", "checking"]
NEXT: Outcome = "next"
WAIT: Outcome = "wait"
STOP: Outcome = "stop"
# The question of an `answer:` step started without one (e.g. by keypad).
QUESTION = Slot(type="text", ask="")


class Conversation(Protocol):
    state: SessionState
    resumed: bool
    prompts: GlobalPrompts
    effects: Effects

    def values(self, frame: FlowFrame) -> dict[str, Any]: ...

    def ask(self, expectation: Expectation, prompt: str) -> Outcome: ...

    def ask_slot(self, frame: FlowFrame, name: str) -> Outcome: ...

    def next_slot(self, frame: FlowFrame, step: CollectStep) -> str | None: ...

    def goto(self, step_id: str) -> None: ...

    def push(self, flow: str, trigger: str | None = None) -> None: ...

    def transfer(self, reason: str) -> Outcome: ...

    def hangup(self, step: str | None) -> None: ...

    async def act(self, step: ActionStep, frame: FlowFrame) -> bool: ...

    async def answer_question(self, question: str, may_check: bool = False) -> Answering: ...

    async def escalate(self, reason: str) -> Outcome: ...


async def run_say(c: Conversation, frame: FlowFrame, step: SayStep) -> Outcome:
    c.state.say(render(step.say, c.values(frame)))
    frame.pc += 1
    return NEXT


async def run_collect(c: Conversation, frame: FlowFrame, step: CollectStep) -> Outcome:
    name = c.next_slot(frame, step)
    if name is None:
        frame.pc += 1
        return NEXT
    slot = frame.flow.slots[name]
    if slot.infer_from_account and slot.values and frame.account:
        named = {v: words for v, words in slot.values.items() if v != slot.fallback}
        account = "，".join(frame.account)
        value = await c.effects.closest_value(named, account, slot.examples)
        if value is not None:
            frame.store(name, value, account)
            return NEXT
    return c.ask_slot(frame, name)


async def run_confirm(c: Conversation, frame: FlowFrame, step: ConfirmStep) -> Outcome:
    filled = {name: frame.slots[name] for name in frame.slots}
    expectation = Expectation(
        "confirm",
        frame.flow.name,
        open_slots={n: s for n, s in frame.flow.slots.items() if n not in frame.slots},
        filled=filled,
        filled_slots={n: frame.flow.slots[n] for n in filled},
        read_back=step.read_back,
    )
    return c.ask(expectation, render(step.confirm, c.values(frame)))


async def run_menu(c: Conversation, frame: FlowFrame, step: MenuStep) -> Outcome:
    prompt = c.prompts.anything_else if c.resumed else step.menu
    expectation = Expectation("menu", frame.flow.name, anything_else=c.resumed)
    return c.ask(expectation, render(prompt, c.values(frame)))


async def run_branch(c: Conversation, frame: FlowFrame, step: BranchStep) -> Outcome:
    raw = {**c.state.data, **frame.slots}
    target = next(
        (cond.goto for cond in step.branch if evaluate(parse_condition(cond.when), raw)),
        step.otherwise,
    )
    if target:
        c.goto(target)
    else:
        frame.pc += 1
    return NEXT


async def run_action(c: Conversation, frame: FlowFrame, step: ActionStep) -> Outcome:
    if not await c.act(step, frame):
        return await c.escalate("system_error")
    frame.pc += 1
    return NEXT


async def run_answer(c: Conversation, frame: FlowFrame, step: AnswerStep) -> Outcome:
    if not frame.trigger:
        expectation = Expectation("slot", frame.flow.name, "question", QUESTION)
        return c.ask(expectation, render(step.ask, c.values(frame)))
    answering = await c.answer_question(frame.trigger, may_check=True)
    if answering == "checking":
        return WAIT
    if answering == "grounded" or not step.on_ungrounded:
        frame.pc += 1
    else:
        c.goto(step.on_ungrounded)
    return NEXT


async def run_goto(c: Conversation, frame: FlowFrame, step: GotoStep) -> Outcome:
    c.goto(step.goto)
    return NEXT


async def run_flow(c: Conversation, frame: FlowFrame, step: FlowStep) -> Outcome:
    frame.pc += 1
    c.push(step.flow)
    return NEXT


async def run_transfer(c: Conversation, frame: FlowFrame, step: TransferStep) -> Outcome:
    return c.transfer(step.transfer)


async def run_hangup(c: Conversation, frame: FlowFrame, step: HangupStep) -> Outcome:
    c.state.say(render(step.hangup, c.values(frame)))
    c.hangup(step.id)
    return STOP


Runner = Callable[[Conversation, FlowFrame, Any], Awaitable[Outcome]]
RUNNERS: dict[type, Runner] = {
    SayStep: run_say,
    CollectStep: run_collect,
    ConfirmStep: run_confirm,
    MenuStep: run_menu,
    BranchStep: run_branch,
    ActionStep: run_action,
    AnswerStep: run_answer,
    GotoStep: run_goto,
    FlowStep: run_flow,
    TransferStep: run_transfer,
    HangupStep: run_hangup,
}
