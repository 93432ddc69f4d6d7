"""Branch conditions: a tiny, safe expression language over slot values.

`resolved == false and satisfaction != null` — names, literals (true/false/null, numbers,
strings), comparisons, `and`/`or`/`not`. Parsed with Python's ast and refused beyond that.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

_LITERALS = {"true": True, "false": False, "null": None}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


class ConditionError(ValueError):
    """A condition outside the supported language."""


def parse_condition(text: str) -> ast.Expression:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"condition {text!r} is not valid: {exc.msg}") from exc
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.BoolOp,
            ast.And,
            ast.Or,
            ast.UnaryOp,
            ast.Not,
            ast.Compare,
            ast.Name,
            ast.Load,
            ast.Constant,
            ast.List,
            ast.Tuple,
            *_COMPARE,
        )
        if not isinstance(node, allowed):
            raise ConditionError(
                f"condition {text!r} uses {type(node).__name__}, which is not allowed"
            )
    return tree


def condition_names(tree: ast.Expression) -> set[str]:
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id not in _LITERALS
    }


def evaluate(tree: ast.Expression, values: dict[str, Any]) -> bool:
    return bool(_eval(tree.body, values))


def _eval(node: ast.AST, values: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _LITERALS[node.id] if node.id in _LITERALS else values.get(node.id)
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(item, values) for item in node.elts]
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, values)
    if isinstance(node, ast.BoolOp):
        results = (_eval(value, values) for value in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, values)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:  # e.g. None < 3: an unset slot fails the comparison
                return False
            left = right
        return True
    raise ConditionError(f"unsupported expression {type(node).__name__}")
