"""A consistent set of flows (plus global behaviour), loaded, linted, and hot-reloaded.

Calls keep the FlowSet they started with; new calls get the newest set that passed lint.
A broken edit is reported and ignored: the last good set stays in service.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from bot.flows.lint import lint_flow, lint_global
from bot.flows.loader import GLOBAL_FILE, FlowProblem, LoadedFile, load_file
from bot.flows.model import Flow, GlobalBehaviour


class FlowSetError(Exception):
    def __init__(self, problems: list[FlowProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class FlowSet:
    flows: dict[str, Flow]
    behaviour: GlobalBehaviour
    version: str

    def flow(self, name: str) -> Flow:
        return self.flows[name]

    def example_accounts(self) -> list[str]:
        """Every ordinary account the flows' slots give as an example (the complaint
        categories'): what an emergency told in other words is told apart from."""
        return [
            example
            for flow in self.flows.values()
            for slot in flow.slots.values()
            for examples in (slot.examples or {}).values()
            for example in examples
        ]

    def prompts(self) -> list[str]:
        """Every text the flows and global behaviour can say (templates unfilled)."""
        texts: list[str] = list(self.behaviour.prompts.model_dump().values())
        for flow in self.flows.values():
            texts += [slot.ask for slot in flow.slots.values()]
            texts += [slot.reask for slot in flow.slots.values() if slot.reask]
            for step in flow.steps:
                texts += [
                    value
                    for name in ("say", "confirm", "menu", "hangup", "ask")
                    if isinstance(value := getattr(step, name, None), str)
                ]
        return sorted(set(texts))


def flow_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    return files


def check_flows(paths: Iterable[Path]) -> tuple[FlowSet | None, list[FlowProblem]]:
    """Load and lint every flow file; the set is None when any problem was found."""
    files = flow_files(paths)
    loaded: list[LoadedFile] = []
    problems: list[FlowProblem] = []
    for path in files:
        item, found = load_file(path)
        loaded.append(item)
        problems += found
    flows: dict[str, tuple[Flow, LoadedFile]] = {}
    behaviour: tuple[GlobalBehaviour, LoadedFile] | None = None
    for item in loaded:
        if isinstance(item.model, Flow):
            if item.model.name in flows:
                other = flows[item.model.name][1].path
                problems.append(
                    FlowProblem(
                        item.path,
                        item.line(("name",)),
                        f"flow '{item.model.name}' is also defined in {other}",
                    )
                )
            flows[item.model.name] = (item.model, item)
        elif isinstance(item.model, GlobalBehaviour):
            behaviour = (item.model, item)
    names = set(flows)
    for flow, item in flows.values():
        problems += lint_flow(flow, item, names)
    if behaviour is not None:
        problems += lint_global(behaviour[0], behaviour[1], names)
    elif not any(p.path.name == GLOBAL_FILE for p in problems) and files:
        problems.append(FlowProblem(files[0].parent / GLOBAL_FILE, 1, "global.yaml is missing"))
    if problems or behaviour is None:
        return None, sorted(problems)
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()[:12]
    return FlowSet({n: f for n, (f, _) in flows.items()}, behaviour[0], digest), []


def load_flows(paths: Iterable[Path]) -> FlowSet:
    flow_set, problems = check_flows(paths)
    if flow_set is None:
        raise FlowSetError(problems)
    return flow_set


class FlowLibrary:
    """The flows in service, reloaded when their files change (checked at most every second)."""

    def __init__(self, folder: Path, check_every_s: float = 1.0) -> None:
        self._folder = folder
        self._check_every_s = check_every_s
        self._fingerprint = self._scan()
        self._current = load_flows([folder])
        self._checked_at = time.monotonic()

    def _scan(self) -> tuple[tuple[str, int, int], ...]:
        return tuple(
            (path.name, path.stat().st_mtime_ns, path.stat().st_size)
            for path in flow_files([self._folder])
        )

    def current(self) -> FlowSet:
        now = time.monotonic()
        if now - self._checked_at >= self._check_every_s:
            self._checked_at = now
            fingerprint = self._scan()
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                flow_set, problems = check_flows([self._folder])
                if flow_set is None:
                    logger.error(
                        "flows changed but have problems; keeping version {}:\n{}",
                        self._current.version,
                        "\n".join(str(p) for p in problems),
                    )
                else:
                    logger.info(f"flows reloaded: version {flow_set.version}")
                    self._current = flow_set
        return self._current
