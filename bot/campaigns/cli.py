"""`hotline campaign create|status|export|pause|resume|cancel`: campaigns from a shell.

The commands work on Redis directly; the running workers' dialers pick new campaigns up."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.campaigns.contacts import read_contacts
from bot.campaigns.model import Campaign, CampaignSettings
from bot.campaigns.report import export_csv, export_json, summary
from bot.campaigns.store import CampaignStore
from bot.config import Settings
from bot.flows.flow_set import check_flows
from bot.redis_guard import StoreUnavailable


class CampaignError(Exception):
    """A campaign command that cannot be carried out; the message says why."""


def add_campaign_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    campaign = subparsers.add_parser("campaign", help="outbound callback campaigns (回访)")
    commands = campaign.add_subparsers(dest="campaign_command", required=True)
    create = commands.add_parser("create", help="import contacts and start a campaign")
    create.add_argument("--flow", default="survey", help="flow each answered call runs")
    create.add_argument(
        "--contacts",
        type=Path,
        required=True,
        help="CSV: phone, and optional ticket_id,name,category,summary,reported,department",
    )
    create.add_argument("--windows", default="09:00-12:00,14:00-20:00", help="local times")
    create.add_argument("--timezone", default="Asia/Shanghai")
    create.add_argument("--max-concurrent", type=int, default=2)
    create.add_argument("--attempts", type=int, default=3, help="attempts per contact")
    create.add_argument("--retry-delay", type=float, default=1800, help="seconds between tries")
    create.add_argument(
        "--later-retry-delay",
        type=float,
        default=7200,
        help="seconds before calling a phone that was off or out of reach again",
    )
    create.add_argument("--start", help="start time, ISO 8601 (default now)")
    create.add_argument("--trunk", help="SIP trunk name (default the first)")
    create.add_argument("--do-not-call", type=Path, help="file of numbers never to call")
    status = commands.add_parser("status", help="counts per outcome, progress, ETA")
    status.add_argument("id")
    status.add_argument("--json", action="store_true")
    export = commands.add_parser("export", help="one row per contact")
    export.add_argument("id")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("-o", "--output", type=Path, help="file (default standard output)")
    for action in ("pause", "resume", "cancel"):
        commands.add_parser(action, help=f"{action} a campaign").add_argument("id")


def _settings(args: argparse.Namespace) -> CampaignSettings:
    start = None
    if args.start:
        try:
            start = dt.datetime.fromisoformat(args.start).timestamp()
        except ValueError as exc:
            raise CampaignError(f"--start '{args.start}' is not an ISO 8601 time.") from exc
    try:
        return CampaignSettings(
            flow=args.flow,
            windows=args.windows,
            timezone=args.timezone,
            max_concurrent=args.max_concurrent,
            attempts=args.attempts,
            retry_delay_s=args.retry_delay,
            later_retry_delay_s=args.later_retry_delay,
            start_at=start,
            trunk=args.trunk,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CampaignError(f"--{first['loc'][0]}: {first['msg']}.".replace("_", "-")) from exc


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(f"Cannot read {path}: {exc}.") from exc


def _print_summary(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(f"campaign {report['id']} ({report['flow']}): {report['status']}")
    line = (
        f"  {report['finished']}/{report['contacts']} contacts finished "
        f"({report['progress']:.0%}), {report['in_flight']} calls in progress"
    )
    if report["eta_s"] is not None:
        line += f", ETA {report['eta_s']:.0f} s"
    print(line)
    for outcome, count in report["outcomes"].items():
        if count:
            print(f"  {outcome:>13}: {count}")
    for problem in report["rejected_rows"]:
        print(f"  row {problem['row']} skipped: {problem['reason']}")
    if report["duplicates_merged"] or report["do_not_call_skipped"]:
        print(
            f"  {report['duplicates_merged']} duplicate rows merged, "
            f"{report['do_not_call_skipped']} do-not-call numbers skipped"
        )


async def _run(args: argparse.Namespace, settings: Settings, store: CampaignStore) -> int:
    command = args.campaign_command
    if command == "create":
        campaign_settings = _settings(args)
        flows, _ = check_flows([settings.project_path(settings.flows.dir)])
        if flows is None or campaign_settings.flow not in flows.flows:
            raise CampaignError(
                f"No flow named '{campaign_settings.flow}' in {settings.flows.dir}."
            )
        if args.do_not_call:
            await store.add_do_not_call(_read(args.do_not_call).split())
        imported = read_contacts(_read(args.contacts), await store.do_not_call())
        if not imported.contacts:
            reasons = "; ".join(f"row {p.row}: {p.reason}" for p in imported.problems[:5])
            raise CampaignError(f"{args.contacts} has no contact to call. {reasons}".strip())
        created = await store.create(campaign_settings, imported)
        _print_summary(summary(created, await store.contacts(created.id), 0, time.time()), False)
        return 0
    campaign = await store.get(args.id)
    if campaign is None:
        raise CampaignError(f"No campaign with id '{args.id}'.")
    contacts = await store.contacts(campaign.id)
    if command == "status":
        report = summary(campaign, contacts, await store.in_flight(campaign.id), time.time())
        _print_summary(report, args.json)
    elif command == "export":
        text = export_csv(contacts) if args.format == "csv" else export_json(campaign.id, contacts)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        await _control(store, campaign, command)
    return 0


async def _control(store: CampaignStore, campaign: Campaign, command: str) -> None:
    if campaign.status in ("cancelled", "finished"):
        raise CampaignError(f"Campaign {campaign.id} is {campaign.status}.")
    campaign.status = {"pause": "paused", "resume": "active", "cancel": "cancelled"}[command]  # type: ignore[assignment]
    await store.save(campaign)
    print(f"campaign {campaign.id}: {campaign.status}")


def run_campaign(args: argparse.Namespace, settings: Settings) -> int:
    async def main() -> int:
        store = CampaignStore.from_url(settings.redis.url, settings.redis.key_prefix)
        try:
            return await _run(args, settings, store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (CampaignError, StoreUnavailable) as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 2
