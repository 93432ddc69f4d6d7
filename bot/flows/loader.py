"""Loading flow files with line numbers, so every problem reads `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.flows.model import Flow, GlobalBehaviour

GLOBAL_FILE = "global.yaml"


@dataclass(frozen=True, order=True)
class FlowProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LoadedFile:
    """One parsed file: its model (if valid) and where each YAML path starts."""

    path: Path
    model: BaseModel | None
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def line(self, loc: tuple[Any, ...]) -> int:
        """The line of the deepest part of `loc` that exists in the file."""
        best = self.lines.get((), 1)
        for depth in range(1, len(loc) + 1):
            best = self.lines.get(tuple(loc[:depth]), best)
        return best


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), out)
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out)


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's union tags from an error location, keeping the path into the data."""
    kept: list[Any] = []
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            continue
        kept.append(part)
    return tuple(kept)


def load_file(path: Path) -> tuple[LoadedFile, list[FlowProblem]]:
    model_type: type[BaseModel] = GlobalBehaviour if path.name == GLOBAL_FILE else Flow
    loaded = LoadedFile(path, None)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        return loaded, [FlowProblem(path, 1, f"cannot read the file: {exc.strerror}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return loaded, [FlowProblem(path, line, f"not valid YAML: {problem}")]
    if node is not None:
        _lines(node, (), loaded.lines)
    if not isinstance(data, dict):
        return loaded, [FlowProblem(path, 1, "a flow file must be a mapping (name:, steps: …)")]
    try:
        loaded.model = model_type.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _data_path(error["loc"], data)
            field_name = ".".join(str(part) for part in where) or "file"
            if error["type"] == "extra_forbidden":
                message = f"unknown key '{error['loc'][-1]}' in {field_name.rsplit('.', 1)[0]}"
            else:
                message = f"{field_name}: {error['msg']}"
            problems.append(FlowProblem(path, loaded.line(where), message))
        return loaded, sorted(set(problems))
    return loaded, []
