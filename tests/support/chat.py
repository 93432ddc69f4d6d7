"""Running `hotline chat --script … --json` as a designer would, and reading its turns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
Turn = dict[str, Any]


def run_chat(script: str, *args: str, env: dict[str, str], timeout: float = 240) -> list[Turn]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "chat",
            "--script",
            str(SCENARIOS / script),
            "--json",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def events(turns: list[Turn], kind: str) -> list[dict[str, Any]]:
    return [event for turn in turns for event in turn["events"] if event["type"] == kind]
