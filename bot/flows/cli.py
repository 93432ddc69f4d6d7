"""`hotline flows lint|schema|graph`: tooling for dialog designers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import Settings
from bot.flows.flow_set import check_flows
from bot.flows.graph import mermaid, svg
from bot.flows.model import Flow


def add_flows_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    flows = subparsers.add_parser("flows", help="lint, describe and draw the dialogue flows")
    commands = flows.add_subparsers(dest="flows_command", required=True)
    lint = commands.add_parser("lint", help="check flow files; exit 1 listing every problem")
    lint.add_argument("paths", nargs="*", type=Path, help="files or folders (default: flows.dir)")
    commands.add_parser("schema", help="print the JSON Schema of a flow file (for editors)")
    graph = commands.add_parser("graph", help="draw a flow as Mermaid text and an SVG file")
    graph.add_argument("flow", help="flow name")
    graph.add_argument("--svg", type=Path, help="write the picture here (default FLOW.svg)")


def run_flows(args: argparse.Namespace, settings: Settings) -> int:
    if args.flows_command == "schema":
        print(json.dumps(Flow.model_json_schema(), ensure_ascii=False, indent=2))
        return 0
    paths = getattr(args, "paths", None) or [settings.project_path(settings.flows.dir)]
    flow_set, problems = check_flows(paths)
    if args.flows_command == "lint":
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
            return 1
        assert flow_set is not None
        print(f"{len(flow_set.flows)} flows OK (version {flow_set.version})")
        return 0
    if flow_set is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    if args.flow not in flow_set.flows:
        known = ", ".join(sorted(flow_set.flows))
        print(f"hotline: no flow named '{args.flow}' (flows: {known})", file=sys.stderr)
        return 2
    flow = flow_set.flows[args.flow]
    print(mermaid(flow), end="")
    target = args.svg or Path(f"{flow.name}.svg")
    target.write_text(svg(flow), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0
