"""One call, many turns: voice-to-voice latency per caller turn, and false cut-offs.

A sipp caller speaks a whole call from bench/latency_turns.txt (written as callers talk, not
from the flows): the `[plain]` turns in order, then, in a second call, the `[paused]` turns,
each with a 0.5 s pause in mid-sentence where its '|' is. After each turn the caller listens
LISTEN_S and then speaks on (barging in on a long answer, as callers do). When the bot hangs
up before the last turn (a flow gave up), the caller calls back with the turns left.

Measured on the wire, per turn: the caller's last speech packet → the bot's next talkspurt
(before the caller's next turn, else unanswered). A false cut-off: the bot starts speaking
after a paused turn's pause began and before the caller finished the turn.

Each end-of-turn setting runs both calls in the same run: `words` (the configured waits: the
words at the pause decide) and `fixed` (every turn ends after the same silence, the
behaviour before: vad.stop_s = 0.4 s).

    .venv/bin/python -m bench.turn_taking [--settings words,fixed] [--limit N]
        [--calls plain,paused] [--pause-s 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.wire import SPEECH_RMS, bot_speech, caller_speech, talkspurts
from bot.config import Settings, load_settings
from bot.pipeline import CallServices
from bot.sip_calls import SipCalls
from telephony.g711 import ulaw_encode
from tests.conftest import free_udp_port
from tests.support.sip_peers import RtpCapture, call_once, scenario, stream_ulaw
from tests.support.speech import speak

TURNS_FILE = Path(__file__).with_name("latency_turns.txt")
RATE = 8000
LEAD_MS = 9000  # the greeting
LISTEN_S = 4.5
PAUSE_S = 0.5
FIXED_STOP_S = 0.4  # the end of turn before the words decided: one silence for every turn
MAX_CALLS = 4


def read_turns(path: Path = TURNS_FILE) -> dict[str, list[str]]:
    """The file's sections: [plain] turns, [paused] turns with one '|' each."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is not None:
            current.append(line)
    for turn in sections.get("paused", []):
        if turn.count("|") != 1:
            raise ValueError(f"{path}: a paused turn needs exactly one '|': {turn}")
    return sections


@dataclass(frozen=True)
class ScheduledTurn:
    """Where a turn lies in the caller's audio stream (seconds from its start)."""

    text: str
    start_s: float
    end_s: float
    pause_s: float | None  # where the mid-sentence pause begins


def _trimmed(pcm: np.ndarray) -> np.ndarray:
    """Speech without the voice's leading and trailing silence, so a pause is as long as set."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > SPEECH_RMS)
    return pcm[loud[0] : loud[-1] + 1] if len(loud) else pcm


def caller_stream(
    turns: list[str], pause_s: float = PAUSE_S
) -> tuple[np.ndarray, list[ScheduledTurn]]:
    """The caller's whole audio: each turn (its parts joined by `pause_s`), then LISTEN_S."""
    chunks: list[np.ndarray] = []
    schedule = []
    at = 0
    for turn in turns:
        parts = [_trimmed(speak(part, RATE)) for part in turn.split("|")]
        start = at
        pause = None
        for n, part in enumerate(parts):
            if n:
                pause = at / RATE
                chunks.append(np.zeros(int(pause_s * RATE), dtype=np.int16))
                at += int(pause_s * RATE)
            chunks.append(part)
            at += len(part)
        schedule.append(ScheduledTurn(turn.replace("|", "…"), start / RATE, at / RATE, pause))
        chunks.append(np.zeros(int(LISTEN_S * RATE), dtype=np.int16))
        at += int(LISTEN_S * RATE)
    return np.concatenate(chunks), schedule


@dataclass(frozen=True)
class TurnResult:
    text: str
    latency_ms: float | None  # None: no answer before the caller's next turn
    cut_off: bool


def judge(schedule: list[ScheduledTurn], speech: list[float], bot: list[float]) -> list[TurnResult]:
    """Each turn on the wire: the caller's first speech packet places the schedule. A cut-off
    is the bot, quiet when the caller paused, starting to speak before the caller finished
    (a reply still playing when the caller spoke on is barge-in's business, not this)."""
    if not speech:
        return [TurnResult(turn.text, None, False) for turn in schedule]
    origin = min(speech) - schedule[0].start_s
    starts = talkspurts(bot)
    results = []
    for n, turn in enumerate(schedule):
        start, end = origin + turn.start_s, origin + turn.end_s
        spoken = [t for t in speech if start - 0.1 <= t <= end + 0.1]
        last = max(spoken) if spoken else end
        following = origin + schedule[n + 1].start_s if n + 1 < len(schedule) else float("inf")
        answer = next((t for t in starts if last < t < following), None)
        cut_off = turn.pause_s is not None and _spoke_into(origin + turn.pause_s, last, bot)
        latency = None if answer is None else round((answer - last) * 1000, 1)
        results.append(TurnResult(turn.text, latency, cut_off))
    return results


def _spoke_into(pause: float, last: float, bot: list[float]) -> bool:
    quiet_at_pause = not any(pause - 0.3 <= t <= pause for t in bot)
    return quiet_at_pause and any(pause < t < last for t in bot)


async def speak_call(
    sip_port: int, turns: list[str], workdir: Path, pause_s: float = PAUSE_S
) -> list[TurnResult]:
    """One sipp call speaking `turns` in order; each turn judged on the wire."""
    pcm, schedule = caller_stream(turns, pause_s)
    media = workdir / "caller.ul"
    media.write_bytes(ulaw_encode(pcm))
    listen_ms = int(len(pcm) / RATE * 1000) + 3000
    xml = scenario(
        "caller",
        workdir,
        caller="13800009999",
        lead_ms=LEAD_MS,
        listen_ms=listen_ms,
        media=stream_ulaw(media),
    )
    port = free_udp_port()
    with RtpCapture(workdir / "call.pcap", expression=f"udp and port {port}") as capture:
        sipp = await call_once(
            xml,
            sip_port,
            timeout_s=(LEAD_MS + listen_ms) / 1000 + 30,
            workdir=workdir,
            media_port=port,
        )
    if not sipp.ok:  # the bot hanging up first is one reason: the turns tell
        print(f"sipp: exit {sipp.returncode}: {sipp.output[-300:]}", file=sys.stderr, flush=True)
    packets = capture.packets()
    return judge(schedule, caller_speech(packets, port), bot_speech(packets, port))


async def speak_turns(
    sip_port: int, turns: list[str], workdir: Path, pause_s: float = PAUSE_S
) -> tuple[list[TurnResult], int]:
    """All `turns`, in as few calls as the bot allows: when a call ends with turns unanswered
    (the bot hung up, a flow having given up), the caller calls back from the first turn after
    the bot's last answer. Also how many calls it took."""
    results: list[TurnResult] = []
    for call in range(1, MAX_CALLS + 1):
        calldir = workdir / f"call{call}"
        calldir.mkdir()
        heard = await speak_call(sip_port, turns, calldir, pause_s)
        answered = [n for n, result in enumerate(heard) if result.latency_ms is not None]
        kept = answered[-1] + 1 if answered and call < MAX_CALLS else len(heard)
        results += heard[:kept]
        turns = turns[kept:]
        if not turns:
            return results, call
    raise AssertionError("unreachable: the last call keeps every turn")


def _percentile(values: list[float], share: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else None


def summary(setting: str, call: str, results: list[TurnResult], calls: int) -> dict[str, object]:
    measured = [r.latency_ms for r in results if r.latency_ms is not None]
    return {
        "figure": "turn_taking",
        "end_of_turn": setting,
        "call": call,
        "calls_placed": calls,
        "turns": len(results),
        "answered": len(measured),
        "p50_ms": round(statistics.median(measured), 1) if measured else None,
        "p95_ms": _percentile(measured, 0.95),
        "false_cut_offs": sum(r.cut_off for r in results),
        "false_cut_off_rate": round(sum(r.cut_off for r in results) / len(results), 3),
    }


def fixed_end(settings: Settings) -> Settings:
    """The same settings with one silence ending every turn."""
    waits = {"stop_s": FIXED_STOP_S, "open_stop_s": FIXED_STOP_S, "complete_stop_s": FIXED_STOP_S}
    return settings.model_copy(update={"vad": settings.vad.model_copy(update=waits)})


async def bench(
    names: list[str],
    limit: int | None,
    workdir: Path,
    calls_wanted: tuple[str, ...] = ("plain", "paused"),
    pause_s: float = PAUSE_S,
) -> dict[str, dict]:
    settings = load_settings()
    sections = read_turns()
    calls = {name: sections[name][:limit] for name in calls_wanted}
    base = CallServices.load(settings)
    await asyncio.to_thread(base.warm_prompts)
    figures: dict[str, dict] = {}
    for name in names:
        configured = settings if name == "words" else fixed_end(settings)
        services = dataclasses.replace(base, settings=configured)
        sip = SipCalls(
            configured.sip.model_copy(update={"host": "127.0.0.1", "port": free_udp_port()}),
            services,
        )
        await sip.start()
        try:
            for call, turns in calls.items():
                calldir = workdir / f"{name}-{call}"
                calldir.mkdir()
                results, placed = await speak_turns(sip.endpoint.port, turns, calldir, pause_s)
                figures[f"{name}/{call}"] = summary(name, call, results, placed)
                figures[f"{name}/{call}"]["pause_s"] = pause_s if call == "paused" else None
                print(json.dumps(figures[f"{name}/{call}"], ensure_ascii=False), flush=True)
                for result in results:
                    print(json.dumps(dataclasses.asdict(result), ensure_ascii=False), flush=True)
        finally:
            await sip.stop()
    if "words" in names and "fixed" in names:
        for call in calls:
            ours, before = figures[f"words/{call}"], figures[f"fixed/{call}"]
            print(json.dumps(ratio(call, ours, before), ensure_ascii=False), flush=True)
    return figures


def ratio(call: str, ours: dict, before: dict) -> dict[str, object]:
    """The words' end of turn against the fixed silence measured in the same run."""
    return {
        "figure": "turn_taking_ratio",
        "call": call,
        "p50_ratio": _divided(ours["p50_ms"], before["p50_ms"]),
        "p95_ratio": _divided(ours["p95_ms"], before["p95_ms"]),
        "false_cut_offs": {"words": ours["false_cut_offs"], "fixed": before["false_cut_offs"]},
    }


def _divided(ours: object, before: object) -> float | None:
    if not isinstance(ours, int | float) or not isinstance(before, int | float) or not before:
        return None
    return round(ours / before, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="words,fixed", help="words, fixed or both")
    parser.add_argument("--limit", type=int, default=None, help="at most this many turns a call")
    parser.add_argument("--calls", default="plain,paused", help="plain, paused or both")
    parser.add_argument(
        "--pause-s", type=float, default=PAUSE_S, help="the paused turns' mid-sentence pause"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-turns-") as workdir:
        asyncio.run(
            bench(
                args.settings.split(","),
                args.limit,
                Path(workdir),
                tuple(args.calls.split(",")),
                args.pause_s,
            )
        )


if __name__ == "__main__":
    main()
