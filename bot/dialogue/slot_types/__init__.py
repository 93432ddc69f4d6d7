"""The slot-type registry: one module per type, each owning extraction, validation, the spoken
form and the ASR hint of its values."""

from __future__ import annotations

from bot.dialogue.slot_types.account import AccountType
from bot.dialogue.slot_types.address import AddressType
from bot.dialogue.slot_types.base import SlotType
from bot.dialogue.slot_types.date import DateType
from bot.dialogue.slot_types.enum import EnumType
from bot.dialogue.slot_types.id_card import IdCardType
from bot.dialogue.slot_types.number import NumberType
from bot.dialogue.slot_types.person_name import PersonNameType
from bot.dialogue.slot_types.phone import PhoneType
from bot.dialogue.slot_types.resolution import ResolutionType
from bot.dialogue.slot_types.satisfaction import SatisfactionType
from bot.dialogue.slot_types.text import TextType
from bot.dialogue.slot_types.ticket_number import TicketNumberType
from bot.dialogue.slot_types.time import TimeType
from bot.dialogue.slot_types.when import WhenType
from bot.dialogue.slot_types.yes_no import YesNoType
from bot.flows.model import Slot

SLOT_TYPES: dict[str, SlotType] = {
    slot_type.name: slot_type
    for slot_type in (
        AccountType(),
        AddressType(),
        DateType(),
        EnumType(),
        IdCardType(),
        NumberType(),
        PersonNameType(),
        PhoneType(),
        ResolutionType(),
        SatisfactionType(),
        TextType(),
        TicketNumberType(),
        TimeType(),
        WhenType(),
        YesNoType(),
    )
}


def slot_type(slot: Slot) -> SlotType:
    """The type object that reads and says this slot's values."""
    return SLOT_TYPES[slot.type]


__all__ = ["SLOT_TYPES", "SlotType", "slot_type"]
