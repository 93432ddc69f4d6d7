"""A picture of a flow: Mermaid text (for docs and editors) and a self-contained SVG."""

from __future__ import annotations

from html import escape

from bot.flows.lint import ENDS_FLOW, _targets
from bot.flows.model import Flow, step_kind

BOX_W, BOX_H, GAP, MARGIN = 360, 44, 26, 40


def _label(index: int, step: object) -> str:
    kind = step_kind(step) or "?"
    value = getattr(step, kind, "")
    if isinstance(value, list):
        value = ", ".join(getattr(v, "when", str(v)) for v in value)
    text = str(value)
    text = text if len(text) <= 24 else text[:23] + "…"
    return f"{index + 1}. {kind}: {text}"


def _node(flow: Flow, index: int) -> str:
    return f"s{index}"


def edges(flow: Flow) -> list[tuple[int, int, str]]:
    """(from, to, label) for sequence and jumps."""
    ids = {step.id: i for i, step in enumerate(flow.steps) if step.id}
    result = []
    for index, step in enumerate(flow.steps):
        kind = step_kind(step)
        if kind not in ENDS_FLOW and index + 1 < len(flow.steps):
            label = "yes" if kind == "confirm" else ""
            result.append((index, index + 1, label))
        for field, target in _targets(step):
            if target in ids:
                label = {
                    "on_no": "no",
                    "on_relative": "relative",
                    "on_busy": "busy",
                    "on_fail": "fail",
                    "on_ungrounded": "not found",
                }.get(field, "" if field == "goto" else field.split(".")[0])
                result.append((index, ids[target], label))
    return result


def mermaid(flow: Flow) -> str:
    lines = ["flowchart TD", f'  title["{escape(flow.name)}: {escape(flow.description)}"]']
    for index, step in enumerate(flow.steps):
        lines.append(f'  {_node(flow, index)}["{escape(_label(index, step))}"]')
    lines.append(f"  title --> {_node(flow, 0)}")
    for source, target, label in edges(flow):
        arrow = f"-->|{label}|" if label else "-->"
        lines.append(f"  {_node(flow, source)} {arrow} {_node(flow, target)}")
    return "\n".join(lines) + "\n"


def svg(flow: Flow) -> str:
    """Steps top to bottom; jumps as arcs on the right, labelled."""
    count = len(flow.steps)
    height = MARGIN * 2 + count * (BOX_H + GAP) + 30
    width = MARGIN * 2 + BOX_W + 40 + 24 * count
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="13">',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN - 12}" font-weight="bold">'
        f"{escape(flow.name)} — {escape(flow.description)}</text>",
    ]

    def top(index: int) -> int:
        return MARGIN + 10 + index * (BOX_H + GAP)

    for index, step in enumerate(flow.steps):
        y = top(index)
        parts.append(
            f'<rect x="{MARGIN}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="#eef3fb" stroke="#4a6fa5"/>'
            f'<text x="{MARGIN + 10}" y="{y + 27}">{escape(_label(index, step))}</text>'
        )
    for lane, (source, target, label) in enumerate(edges(flow)):
        if target == source + 1 and label in ("", "yes"):
            x = MARGIN + BOX_W // 2
            parts.append(
                f'<line x1="{x}" y1="{top(source) + BOX_H}" x2="{x}" y2="{top(target)}" '
                f'stroke="#555" marker-end="url(#a)"/>'
            )
            if label:
                parts.append(f'<text x="{x + 6}" y="{top(target) - 8}">{label}</text>')
            continue
        x = MARGIN + BOX_W + 20 + 24 * (lane % max(1, count))
        y1, y2 = top(source) + BOX_H // 2, top(target) + BOX_H // 2
        parts.append(
            f'<path d="M{MARGIN + BOX_W},{y1} H{x} V{y2} H{MARGIN + BOX_W}" fill="none" '
            f'stroke="#a0522d" marker-end="url(#a)"/>'
            f'<text x="{x + 4}" y="{(y1 + y2) // 2}" fill="#a0522d">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
