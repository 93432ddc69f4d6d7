"""Values into a flow frame: what the caller said, validated by its slot type, with the
caller's words as evidence — and the caller's account of the problem, gathered as it grows.

A value that fails its type, or that the caller did not say, is never stored; a value said
before is only replaced by a correction.
"""

from __future__ import annotations

import datetime as dt

from bot.dialogue.commands import Command
from bot.dialogue.said_instead import replaced, said_instead
from bot.dialogue.session_state import FlowFrame
from bot.dialogue.slot_types import slot_type
from bot.dialogue.slot_types.account import account_clauses
from bot.dialogue.slot_types.address import corrected_address
from bot.dialogue.slot_types.base import plain
from bot.dialogue.slot_types.enum import named_values
from bot.dialogue.slot_types.person_name import NAME_WITHHELD
from bot.dialogue.slot_types.phone import THIS_NUMBER, corrected_phone
from bot.dialogue.understanding import Expectation

# Answers chosen from a closed set, which the caller's words cannot be searched for.
CLOSED_TYPES = frozenset({"enum", "yes_no", "resolution", "satisfaction"})


def store_values(
    frame: FlowFrame,
    commands: list[Command],
    utterance: str,
    today: dt.date,
    *,
    awaited: str | None = None,
    corrections: bool = False,
    starting: bool = False,
) -> bool:
    """Store the values given; True when anything changed. `awaited`: the slot just asked
    for; `corrections`: a read-back, where any value given corrects the one before;
    `starting`: the words that started the flow."""
    changed = False
    for command in commands:
        name = command.slot
        if command.kind == "clear_slot" or name not in frame.flow.slots or not command.value:
            continue
        slot = frame.flow.slots[name]
        if slot.type == "account":
            continue  # the account is the caller's words, gathered as they come
        filled = frame.slots.get(name) is not None  # None: not given (yet)
        correcting = command.kind == "correct_slot" or (corrections and filled)
        if filled and not correcting and name != awaited:
            continue  # never overwrite what was said before without a correction
        value = None
        if slot.type == "address" and filled and correcting:  # "门牌是12号"
            value = corrected_address(str(frame.slots[name]), command.value)
        if slot.type == "phone" and filled and correcting:  # "最后四位是二二九四"
            tail = corrected_phone(str(frame.slots[name]), utterance)
            value = tail if tail == command.value else None
        if value is None and filled and correcting:  # "是102号 不是120号"
            instead = said_instead(utterance)
            if instead and replaced(str(frame.slots[name]), instead) == command.value:
                value = command.value
        if value is None:
            value = slot_type(slot).validate(command.value, slot, utterance, today)
        if value is None or (filled and frame.slots[name] == value):
            continue
        if slot.type in CLOSED_TYPES and name != awaited and not (starting or correcting):
            # A closed answer read unasked (a category, 解决了) needs the caller's own words
            # for it: the LLM was seen to set one from "明天上午吧".
            if slot_type(slot).volunteered_value(utterance, slot, today) != value:
                continue
        frame.store(name, value, utterance)
        changed = True
    return changed


def withdraw(frame: FlowFrame, commands: list[Command]) -> None:
    """Optional values the caller takes back (a name, for an anonymous report)."""
    for command in commands:
        name = command.slot
        if command.kind == "clear_slot" and name in frame.flow.slots:
            if not frame.flow.slots[name].required:
                frame.store(name, None, "")


def take_trigger(frame: FlowFrame, trigger: str, today: dt.date) -> None:
    """What the caller already said when the flow started ("楼下饭店太吵了，我电话…")."""
    for name, slot in frame.flow.slots.items():
        kind = slot_type(slot)
        if slot.fill_from_trigger and slot.type not in ("account", "enum"):
            value = kind.extract(trigger, slot, today)
        elif kind.volunteered:
            value = kind.volunteered_value(trigger, slot, today)
        else:
            continue
        if value is not None:
            frame.store(name, value, trigger)
        elif slot.type == "person_name" and NAME_WITHHELD.search(trigger):
            frame.store(name, None, trigger)  # "名字就不说了": not asked for
    capture_account(frame, trigger, today)


def take_this_number(frame: FlowFrame, utterance: str, caller: str | None) -> None:
    """ "就打我这个电话": the number the caller is calling from is the contact number, for
    the flow's phone slots not given yet."""
    if not caller or not THIS_NUMBER.search(utterance):
        return
    for name, slot in frame.flow.slots.items():
        if slot.type == "phone" and name not in frame.slots:
            frame.store(name, caller, utterance)


def capture_account(frame: FlowFrame, utterance: str, today: dt.date) -> None:
    """Add the caller's description of the problem to the account, and read the category
    from the whole account unless the caller named it."""
    account = [n for n, s in frame.flow.slots.items() if s.type == "account"]
    if not account:
        return
    for clause in account_clauses(utterance):
        if clause not in frame.account:
            frame.account.append(clause)
    if not frame.account:
        return
    text = "，".join(frame.account)
    for name in account:
        frame.store(name, text, text)
    for name, slot in frame.flow.slots.items():
        if slot.type == "enum" and slot.fill_from_trigger and name not in frame.slots:
            named = named_values(slot, text)
            if len(named) == 1:  # two kinds named (化粪池 and 井盖): in doubt, the bot asks
                [value] = named
                kind = slot_type(slot)
                words = next(c for c in frame.account if kind.extract(c, slot, today))
                frame.store(name, value, words)


# Answers to these slot types are contact details or closed answers, not the problem.
NOT_ACCOUNT = {
    "phone",
    "id_card",
    "person_name",
    "yes_no",
    "resolution",
    "satisfaction",
    # stored in fields of their own
    "address",
    "when",
}
# Slots whose answer is kept out of the account unless it is not an answer at all.
TOLD_ELSEWHERE = {"address", "when"}
# An answer this much of which is a place or a time is that value, not the problem told.
PLAIN_ANSWER_SHARE = 0.6
# A turn that corrects what was said before is about the record, not the problem.
CORRECTING = {"correct_slot", "clear_slot"}


def tells_the_problem(
    frame: FlowFrame,
    expectation: Expectation,
    utterance: str,
    commands: list[Command],
    today: dt.date,
) -> bool:
    """Whether an answer adds to the caller's account: the problem told in answer to another
    question ("他家天天拍球" when asked where) does; a plain place or time, asked for or not
    ("天天晚上" to the category question), and a correction do not."""
    slot = expectation.slot
    if expectation.awaiting != "slot" or slot is None:
        return False
    if any(c.kind in CORRECTING for c in commands):
        return False
    if slot.type in TOLD_ELSEWHERE:
        return slot_type(slot).answer_value(utterance, slot, today) is None
    if slot.type in NOT_ACCOUNT:
        return False
    slots = frame.flow.slots
    placed = sum(
        len(plain(c.value or ""))
        for c in commands
        if c.kind == "set_slot" and c.slot in slots and slots[c.slot].type in TOLD_ELSEWHERE
    )
    return placed < PLAIN_ANSWER_SHARE * len(plain(utterance))
