"""`hotline auth …`: the secrets an operator pastes into the `auth` configuration."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from bot.access.passwords import hash_password, token_digest


def add_auth_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    auth = commands.add_parser("auth", help="console users and API tokens")
    auth_commands = auth.add_subparsers(dest="auth_command", required=True)
    auth_commands.add_parser(
        "hash-password",
        help="read a password (prompted, or one line on stdin) and print its password_hash",
    )
    auth_commands.add_parser(
        "new-token", help="print a new API token and the token_sha256 to configure for it"
    )


def run_auth(args: argparse.Namespace) -> int:
    if args.auth_command == "hash-password":
        if sys.stdin.isatty():
            password = getpass.getpass("Password: ")
        else:
            password = sys.stdin.readline().rstrip("\n")
        if not password:
            print("hotline: an empty password is not allowed", file=sys.stderr)
            return 2
        print(hash_password(password))
        return 0
    token = secrets.token_urlsafe(32)
    print(f"token: {token}\ntoken_sha256: {token_digest(token)}")
    return 0
