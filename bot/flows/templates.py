"""Prompt templates: `{slot}` placeholders filled from slot values and call data.

`[…]` is an optional part, said only when every placeholder inside it has a value: a sentence
built from whatever a contacts file gives (`关于您[{reported_month}月{reported_day}日]反映的…`)
never reads out a blank."""

from __future__ import annotations

import re
import string
from typing import Any

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")

# Call data every template may use, besides the flow's own slots.
CALL_DATA = (
    "caller",
    "ticket_number",
    "contact_name",
    "ticket_category",
    # A campaign contact's work order (any id format) and what the contacts file says of it.
    "ticket_id",
    "ticket_summary",
    "ticket_department",
    "reported_month",
    "reported_day",
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


def optional_parts(text: str) -> list[str]:
    """The `[…]` parts of a template; ValueError for a bracket without its pair or a part
    with no placeholder (it would always be said: no need for brackets)."""
    rest = _OPTIONAL.sub("", text)
    if "[" in rest or "]" in rest:
        raise ValueError(f"template {text!r} has a '[' or ']' without its pair")
    parts = [match[1] for match in _OPTIONAL.finditer(text)]
    for part in parts:
        if not template_names(part):
            raise ValueError(f"template {text!r}: the optional part [{part}] has no placeholder")
    return parts


def render(text: str, values: dict[str, Any]) -> str:
    """Fill placeholders; an unset value renders as nothing rather than failing the call,
    and an optional part with an unset value is left out."""
    spoken = {name: _spoken(values.get(name)) for name in template_names(text)}
    pieces = _OPTIONAL.split(text)  # plain text at even indexes, optional parts at odd ones
    return "".join(
        piece.format_map(spoken)
        for index, piece in enumerate(pieces)
        if index % 2 == 0 or all(spoken[name].strip() for name in template_names(piece))
    )


def _spoken(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
