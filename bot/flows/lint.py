"""Checks a flow set beyond its schema: targets, reachability, slots, templates, conditions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bot.dialogue.slot_types import slot_type
from bot.flows.conditions import ConditionError, condition_names, parse_condition
from bot.flows.loader import FlowProblem, LoadedFile
from bot.flows.model import (
    BranchStep,
    CollectStep,
    Flow,
    GlobalBehaviour,
    Slot,
    step_kind,
)
from bot.flows.templates import CALL_DATA, optional_parts, template_names

# A step after one of these runs only if something jumps to it.
ENDS_FLOW = {"goto", "transfer", "hangup"}
TEMPLATE_FIELDS = ("say", "confirm", "menu", "hangup")


def _targets(step: object) -> Iterator[tuple[str, str]]:
    """(field, step id) pairs a step may jump to."""
    for name in (
        "goto",
        "on_no",
        "on_relative",
        "on_busy",
        "on_fail",
        "on_ungrounded",
        "otherwise",
    ):
        target = getattr(step, name, None)
        if target:
            yield name, target
    if isinstance(step, BranchStep):
        for index, condition in enumerate(step.branch):
            yield f"branch.{index}.goto", condition.goto


def lint_flow(flow: Flow, source: LoadedFile, known_flows: set[str]) -> list[FlowProblem]:
    problems: list[FlowProblem] = []

    def problem(loc: tuple[object, ...], message: str) -> None:
        problems.append(FlowProblem(source.path, source.line(loc), message))

    ids: dict[str, int] = {}
    for index, step in enumerate(flow.steps):
        if step.id is not None:
            if step.id in ids:
                problem(("steps", index, "id"), f"step id '{step.id}' is used twice")
            ids[step.id] = index
    names = set(flow.slots) | set(CALL_DATA)
    jumped_to: set[str] = set()
    if flow.on_machine is not None:
        jumped_to.add(flow.on_machine)
        if flow.on_machine not in ids:
            problem(("on_machine",), f"on_machine: no step with id '{flow.on_machine}'")
    for index, step in enumerate(flow.steps):
        loc = ("steps", index)
        for field, target in _targets(step):
            jumped_to.add(target)
            if target not in ids:
                problem((*loc, field.split(".")[0]), f"{field}: no step with id '{target}'")
        if isinstance(step, CollectStep):
            for slot in step.slots:
                if slot not in flow.slots:
                    problem((*loc, "collect"), f"collect: slot '{slot}' is not defined in slots")
        kind = step_kind(step)
        if kind == "flow" and step.flow not in known_flows:  # type: ignore[union-attr]
            problem((*loc, "flow"), f"flow: no flow named '{step.flow}'")  # type: ignore[union-attr]
        for field in TEMPLATE_FIELDS:
            text = getattr(step, field, None)
            if isinstance(text, str):
                for name in sorted(_template_names(text, problem, (*loc, field)) - names):
                    problem((*loc, field), f"{field}: '{{{name}}}' is not a slot or call data")
        if isinstance(step, BranchStep):
            for number, condition in enumerate(step.branch):
                try:
                    used = condition_names(parse_condition(condition.when))
                except ConditionError as exc:
                    problem((*loc, "branch", number, "if"), str(exc))
                    continue
                for name in sorted(used - names):
                    problem((*loc, "branch", number, "if"), f"condition uses undefined '{name}'")
    for slot_name, slot_def in flow.slots.items():
        for message in _key_problems(slot_def):
            problem(("slots", slot_name, "keys"), message)
        for field in ("ask", "reask"):
            text = getattr(slot_def, field)
            if text:
                for unknown in sorted(
                    _template_names(text, problem, ("slots", slot_name, field)) - names
                ):
                    problem(
                        ("slots", slot_name, field), f"'{{{unknown}}}' is not a slot or call data"
                    )
    for index in range(1, len(flow.steps)):
        previous, step = flow.steps[index - 1], flow.steps[index]
        if step_kind(previous) in ENDS_FLOW and (step.id is None or step.id not in jumped_to):
            problem(("steps", index), f"step {index + 1} is unreachable (nothing jumps to it)")
    return problems


def _key_problems(slot: Slot) -> Iterator[str]:
    """Keys whose words the slot's type cannot read, two keys for one value, and a question
    that does not tell the caller the keys."""
    if not slot.keys:
        return
    kind = slot_type(slot)
    meaning: dict[object, str] = {}
    for key, words in sorted(slot.keys.items()):
        value = kind.answer_value(words, slot, dt.date.today())
        if value is None:
            yield f"keys: '{key}' → '{words}' is not an answer this slot can take"
        elif value in meaning:
            yield f"keys: '{meaning[value]}' and '{key}' both mean '{words}'"
        else:
            meaning[value] = key
    untold = sorted(key for key in slot.keys if f"按{key}" not in slot.ask)
    if untold:
        yield f"keys: the question does not say 按{untold[0]} (callers must hear the keys)"


def _template_names(text: str, problem, loc: tuple[object, ...]) -> set[str]:  # type: ignore[no-untyped-def]
    try:
        optional_parts(text)
        return template_names(text)
    except ValueError as exc:
        problem(loc, str(exc))
        return set()


def lint_global(
    behaviour: GlobalBehaviour, source: LoadedFile, flows: set[str]
) -> list[FlowProblem]:
    return [
        FlowProblem(source.path, source.line((field,)), f"{field}: no flow named '{name}'")
        for field in ("entry_flow", "human_flow", "emergency_flow")
        if (name := getattr(behaviour, field)) not in flows
    ]
