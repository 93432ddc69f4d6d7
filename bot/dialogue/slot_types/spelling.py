"""Digits read out one by one, the way numbers are read back on the phone."""

from __future__ import annotations

from bot.speech.text_normalizer import spell


def spell_digits(number: str) -> str:
    """Digit by digit, 1 as 幺."""
    return spell("".join(char for char in number if char.isdigit()))
