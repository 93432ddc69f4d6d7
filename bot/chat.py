"""`hotline chat`: the text simulator for dialog designers (interactive, or a script → JSON).

Script lines are caller utterances; `[dtmf:1]` presses keys and `[silence]` stays silent.
With --json each turn prints one object: caller, bot, flow, step, slots, events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import uuid
from collections.abc import Iterable
from typing import Any

from bot.config import Settings
from bot.dialogue.engine import Reply
from bot.dialogue.flow_engine import FlowSession
from bot.dialogue.service import DialogueService

DTMF = re.compile(r"^\[dtmf:([0-9*#]+)\]$")
SILENCE = "[silence]"


def add_chat_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    chat = subparsers.add_parser("chat", help="talk to the flows in text (designer simulator)")
    chat.add_argument(
        "--script",
        type=argparse.FileType("r", encoding="utf-8"),
        help="one caller line per line ([dtmf:1], [silence] allowed); - for stdin",
    )
    chat.add_argument("--json", action="store_true", help="one JSON object per turn")
    chat.add_argument("--flow", help="start in this flow instead of the entry flow")
    chat.add_argument("--caller", default="13800138000", help="the caller's number")
    chat.add_argument(
        "--understanding", choices=["local", "llm"], help="override dialogue.understanding"
    )
    chat.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="call data for templates, e.g. contact_name=张先生 ticket=202611240001",
    )


def _turn(session: FlowSession, caller: str | None, replies: list[Reply]) -> dict[str, Any]:
    return {
        "caller": caller,
        "bot": "".join(reply.text for reply in replies),
        "flow": session.flow,
        "step": session.step,
        "slots": session.slots,
        "events": session.take_events(),
        "understood_by": session.understanding.last_source if caller else None,
    }


async def _say(session: FlowSession, line: str) -> list[Reply]:
    if line == SILENCE:
        return await session.silence()
    if match := DTMF.match(line):
        return await session.handle_dtmf(match.group(1))
    return await session.handle(line)


async def _converse(session: FlowSession, lines: Iterable[str], as_json: bool) -> None:
    def show(turn: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(turn, ensure_ascii=False), flush=True)
        else:
            for event in turn["events"]:
                print(
                    f"   [{event['type']}] "
                    + json.dumps(
                        {k: v for k, v in event.items() if k != "type"}, ensure_ascii=False
                    )
                )
            if turn["bot"]:
                print(f"机器人> {turn['bot']}", flush=True)

    show(_turn(session, None, await session.start()))
    for raw in lines:
        line = raw.strip()
        if not line or session.ended:
            continue
        show(_turn(session, line, await _say(session, line)))
    kept = await session.finish()  # what a call that ended early keeps (a partial survey)
    if kept:
        show({**_turn(session, None, []), "events": kept})


def _interactive_lines() -> Iterable[str]:
    prompt = "市民> " if sys.stdin.isatty() else ""  # piped input: keep stdout pure output
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return


def run_chat(args: argparse.Namespace, settings: Settings) -> int:
    data = dict(item.split("=", 1) for item in args.data if "=" in item)
    service = DialogueService(
        settings,
        args.understanding,
        progress=lambda message: print(message, file=sys.stderr, flush=True),
    )

    async def main() -> None:
        try:
            if args.flow and args.flow not in service.flows.current().flows:
                known = ", ".join(sorted(service.flows.current().flows))
                raise SystemExit(f"hotline: no flow named '{args.flow}' (flows: {known})")
            await service.warm_up()
            session = service.engine.new_session(
                f"chat-{uuid.uuid4().hex[:8]}", args.caller, flow=args.flow, data=data
            )
            lines = args.script if args.script else _interactive_lines()
            await _converse(session, lines, args.json)
        finally:
            await service.close()

    asyncio.run(main())
    return 0
