"""Dialogue benchmark: task success and per-turn latency, local rules vs the embedded LLM.

Runs bench/dialogue_scenarios.yaml through the real flow engine (real knowledge base, real
Redis, real llama.cpp server) and prints one JSON line per figure; the LLM's figures carry
their ratio to the local baseline measured in the same run.

    .venv/bin/python -m bench.dialogue [--backends local,llm]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_settings
from bot.dialogue.service import DialogueService

SCENARIOS = Path(__file__).with_name("dialogue_scenarios.yaml")


def succeeded(expect: dict[str, Any], events: list[dict[str, Any]]) -> bool:
    for event in events:
        if expect["event"] == "declined":  # no invented answer: refused or out of scope
            if event["type"] == "out_of_scope" or (
                event["type"] == "answer" and not event["grounded"]
            ):
                return True
            continue
        if event["type"] != expect["event"]:
            continue
        if event["type"] == "ticket_created":
            return bool(event["ticket"]["category"] == expect["category"])
        if event["type"] == "answer":
            if event["grounded"] != expect["grounded"]:
                return False
            return "doc" not in expect or event["sources"][0]["doc_id"] == expect["doc"]
        if event["type"] == "transfer":
            return bool(event["reason"] == expect["reason"])
        if event["type"] == "survey_recorded":
            return bool(event["survey"]["satisfaction"] == expect["satisfaction"])
    return False


async def run_backend(backend: str, scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    settings = load_settings()
    settings = settings.model_copy(
        update={
            "redis": settings.redis.model_copy(
                update={"key_prefix": f"bench-{uuid.uuid4().hex[:6]}"}
            )
        }
    )
    service = DialogueService(settings, backend)  # type: ignore[arg-type]
    await service.warm_up()
    latencies: list[float] = []
    llm_latencies: list[float] = []  # turns the LLM actually read
    results = []
    try:
        for scenario in scenarios:
            session = service.engine.new_session(
                f"bench-{uuid.uuid4().hex[:6]}",
                "13800138000",
                flow=scenario.get("flow"),
                data=scenario.get("data", {}),
            )
            await session.start()
            events = session.take_events()
            for line in scenario["lines"]:
                if session.ended:
                    break
                started = time.perf_counter()
                await session.handle(str(line))
                latencies.append((time.perf_counter() - started) * 1000)
                if session.understanding.last_source != "local":
                    llm_latencies.append(latencies[-1])
                events += session.take_events()
            results.append(succeeded(scenario["expect"], events))
    finally:
        await service.close()
    ordered = sorted(latencies)
    return {
        "task_success": sum(results) / len(results),
        "turn_latency_p50_ms": statistics.median(ordered),
        "turn_latency_p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
        "llm_read_turns": len(llm_latencies),
        "llm_read_turn_latency_p50_ms": statistics.median(llm_latencies) if llm_latencies else 0,
        "turns": len(latencies),
        "failed": [s["name"] for s, ok in zip(scenarios, results, strict=True) if not ok],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="local,llm")
    args = parser.parse_args()
    scenarios = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))
    figures = {b: asyncio.run(run_backend(b, scenarios)) for b in args.backends.split(",")}
    baseline = figures.get("local")
    for backend, values in figures.items():
        for name in (
            "task_success",
            "turn_latency_p50_ms",
            "turn_latency_p95_ms",
            "turns",
            "llm_read_turns",
            "llm_read_turn_latency_p50_ms",
        ):
            line: dict[str, Any] = {
                "bench": "dialogue",
                "backend": backend,
                "figure": name,
                "value": round(values[name], 3),
                "scenarios": len(scenarios),
            }
            if baseline is not None and backend != "local" and baseline[name]:
                line["ratio_vs_local"] = round(values[name] / baseline[name], 2)
            print(json.dumps(line, ensure_ascii=False))
        if values["failed"]:
            print(
                json.dumps(
                    {"bench": "dialogue", "backend": backend, "failed": values["failed"]},
                    ensure_ascii=False,
                )
            )


if __name__ == "__main__":
    main()
