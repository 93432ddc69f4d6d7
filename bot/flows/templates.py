"""Prompt templates: `{slot}` placeholders filled from slot values and call data."""

from __future__ import annotations

import string
from typing import Any

# Call data every template may use, besides the flow's own slots.
CALL_DATA = (
    "caller",
    "ticket_number",
    "contact_name",
    "ticket_category",
    "answer",
    # Set by `action: find_ticket` (a follow-up on an earlier request).
    "found_ticket",
    "found_number",
    "found_status",
    "found_category",
    "found_date",
)


def template_names(text: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field}
    except ValueError as exc:
        raise ValueError(f"template {text!r} is malformed: {exc}") from exc


def render(text: str, values: dict[str, Any]) -> str:
    """Fill placeholders; an unset value renders as nothing rather than failing the call."""
    return text.format_map({name: _spoken(values.get(name)) for name in template_names(text)})


def _spoken(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
