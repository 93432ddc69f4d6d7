"""Spoken dialogue benchmark: the conversation suite with its caller turns spoken, not typed.

Every caller line of bench/conversations is rendered by offline voices (the Baker voice and
espeak-ng, as in bench/asr.py), passed through the phone channel (300–3400 Hz, 8 kHz µ-law, with
and without noise) or kept at 16 kHz, decoded by the call's ASR path (Whisper with the
question the bot just asked as context, the city's place names when it asked for an address)
and only then given to the dialogue. Task success and wrong data are scored as in
bench/dialogue.py, beside the typed run of the same conversations in the same process, with
figures for what speech must not lose: emergencies and person requests reached, survey
answers, phone numbers and addresses recorded.

    .venv/bin/python -m bench.spoken_dialogue [--set tuning|heldout|all] [--every 4]
        [--voices baker,espeak-ng] [--conditions phone,phone+noise] [--kinds survey] [--verbose]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from bench.asr import CONDITIONS, Renderer, baker_renderer, cached, condition, espeak_renderer
from bench.dialogue import (
    SETS,
    Conversation,
    Heard,
    Hearing,
    Outcome,
    failure,
    load_conversations,
    run_backend,
)
from bot.config import load_settings
from bot.dialogue.flow_engine import FlowSession
from bot.model_cache import ASSETS
from bot.speech.whisper_transcriber import WhisperTranscriber
from tests.support.speech import cer

# What speech must not lose, each judged on the conversations that expect it: the part of the
# conversation's expectation that names it.
CATEGORIES: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
    "emergencies": lambda e: e if e.get("transfer", {}).get("reason") == "emergency" else None,
    "person_requests": lambda e: (
        e if e.get("transfer", {}).get("reason") == "caller_request" else None
    ),
    "survey_answers": lambda e: {"survey": e["survey"]} if "survey" in e else None,
    "phone_numbers": lambda e: (
        {"ticket": {"contact_phone": e["ticket"]["contact_phone"]}}
        if "contact_phone" in e.get("ticket", {})
        else None
    ),
    "addresses": lambda e: (
        {"ticket": {"address": e["ticket"]["address"]}}
        if "address" in e.get("ticket", {})
        else None
    ),
}


def spoken(render: Renderer, voice: str, channel: str, transcriber: WhisperTranscriber) -> Hearing:
    """The caller's line as the bot hears it: said by `voice`, sent over `channel`, decoded
    with what the bot just asked as context."""

    async def hear(line: str, session: FlowSession) -> Heard:
        pcm, rate = cached(voice, render, line)
        audio = condition(pcm, rate, channel)
        address = session.expected_slot_type() == "address"
        question = session.state.last_prompt
        transcript = await asyncio.to_thread(
            transcriber.transcribe_sync, audio.tobytes(), address, question
        )
        return Heard(transcript.text, transcript.confidence)

    return hear


def category_figures(outcomes: list[Outcome]) -> dict[str, tuple[float, int]]:
    """(share kept, conversations) for each category the conversations expect."""
    figures = {}
    for name, part in CATEGORIES.items():
        judged = [(o, part(o.conversation.get("expect") or {})) for o in outcomes]
        kept = [o.error is None and failure(spec, o.events) is None for o, spec in judged if spec]
        if kept:
            figures[name] = (sum(kept) / len(kept), len(kept))
    return figures


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    said = [pair for o in outcomes for pair in o.heard]
    return {
        "task_success": sum(o.succeeded for o in outcomes) / len(outcomes),
        "wrong_data_values": sum(len(o.wrong) for o in outcomes),
        "caller_line_cer": sum(cer(line, heard) for line, heard in said) / max(1, len(said)),
        # Numbers and addresses said back because they were heard unsure (asr.check_below),
        # and how many of those the bot had heard right.
        "heard_checks": sum(o.checks for o in outcomes),
        "needless_heard_checks": sum(o.needless_checks for o in outcomes),
    }


def report(
    typed: list[Outcome],
    runs: dict[tuple[str, str], list[Outcome]],
    conversation_set: str,
) -> None:
    base = summary(typed)
    base_categories = category_figures(typed)

    def emit(line: dict[str, Any]) -> None:
        print(
            json.dumps(
                {"bench": "spoken_dialogue", "set": conversation_set, **line}, ensure_ascii=False
            ),
            flush=True,
        )

    for figure, value in base.items():
        emit({"voice": "typed", "condition": "typed", "figure": figure, "value": round(value, 3)})
    for (voice, channel), outcomes in runs.items():
        for figure, value in summary(outcomes).items():
            line = {
                "voice": voice,
                "condition": channel,
                "figure": figure,
                "value": round(value, 3),
            }
            if figure == "task_success" and base[figure]:
                line["ratio_vs_typed"] = round(value / base[figure], 3)
            emit(line)
        for name, (share, count) in category_figures(outcomes).items():
            typed_share = base_categories.get(name, (0.0, 0))[0]
            emit(
                {
                    "voice": voice,
                    "condition": channel,
                    "figure": f"kept.{name}",
                    "value": round(share, 3),
                    "typed": round(typed_share, 3),
                    "conversations": count,
                }
            )
        failed = {
            o.conversation["name"]: o.error or o.problem
            for o in outcomes
            if not o.succeeded
            and not any(t.conversation is o.conversation and not t.succeeded for t in typed)
        }
        emit({"voice": voice, "condition": channel, "failed_only_spoken": failed})
        emit(
            {
                "voice": voice,
                "condition": channel,
                "wrong_data": [w for o in outcomes for w in o.wrong],
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--set", dest="conversation_set", choices=sorted(SETS), default="tuning")
    parser.add_argument("--kinds", default="", help="only these kinds, e.g. survey,emergency")
    parser.add_argument("--every", type=int, default=4, help="every Nth conversation")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--voices", default="baker,espeak-ng", help="comma-separated")
    parser.add_argument("--conditions", default="phone,phone+noise", help=f"of {CONDITIONS}")
    parser.add_argument("--verbose", action="store_true", help="transcripts on stderr")
    args = parser.parse_args()
    kinds = {k for k in args.kinds.split(",") if k} or None
    conversations: list[Conversation] = load_conversations(
        args.conversation_set, kinds, None, args.limit, args.every
    )
    if not conversations:
        raise SystemExit("no conversation matches")
    settings = load_settings()
    model_dir = ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))
    transcriber = WhisperTranscriber(model_dir, settings.asr)
    renderers: dict[str, Callable[[], Renderer]] = {
        "baker": baker_renderer,
        "espeak-ng": lambda: espeak_renderer,
    }
    typed = asyncio.run(run_backend("local", conversations, args.verbose))
    runs = {}
    for voice in args.voices.split(","):
        render = renderers[voice]()
        for conversation in conversations:  # rendered once, before any call is timed
            for line in conversation["lines"]:
                cached(voice, render, str(line))
        for channel in args.conditions.split(","):
            hear = spoken(render, voice, channel, transcriber)
            runs[(voice, channel)] = asyncio.run(
                run_backend("local", conversations, args.verbose, hear)
            )
    report(typed, runs, args.conversation_set)


if __name__ == "__main__":
    main()
