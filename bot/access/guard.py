"""Authentication and roles for the console and the API (FastAPI dependencies).

A request is identified by `Authorization: Bearer <token>` (API clients) or by the signed
session cookie set at /login (the console in a browser). `require(...)` lists the roles an
endpoint admits; admin is admitted everywhere.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from loguru import logger

from bot.access.call_token import CallTokens
from bot.access.passwords import hash_password, token_digest, verify_password
from bot.access.session_cookie import COOKIE_NAME, SessionSigner
from bot.config import Role, Settings, UserConfig

BOOTSTRAP_USER = "admin"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


class Access:
    """The configured users and tokens, the signer of their sessions, and the phone page's
    call tokens."""

    def __init__(
        self,
        users: dict[str, UserConfig],
        tokens: dict[str, Principal],
        signer: SessionSigner,
        call_tokens: CallTokens,
    ) -> None:
        self._users = users
        self._tokens = tokens  # token sha256 → principal
        self.signer = signer
        self.call_tokens = call_tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        auth = settings.auth
        users = dict(auth.users)
        if not users and not auth.tokens:
            path = settings.project_path(auth.bootstrap_file)
            password = _bootstrap_password(path)
            users[BOOTSTRAP_USER] = UserConfig(password_hash=hash_password(password), role="admin")
            logger.warning(
                f"no users configured (auth.users): sign in to /console as '{BOOTSTRAP_USER}' "
                f"with the password in {path}"
            )
        key = auth.session_secret.encode() or secrets.token_bytes(32)
        tokens = {
            entry.token_sha256: Principal(name, entry.role) for name, entry in auth.tokens.items()
        }
        return cls(users, tokens, SessionSigner(key, auth.session_hours * 3600), CallTokens(key))

    def login(self, name: str, password: str) -> Principal | None:
        user = self._users.get(name)
        if user is None or not verify_password(password, user.password_hash):
            return None
        return Principal(name, user.role)

    def identify(self, request: Request) -> Principal | None:
        """Who sent `request`, or None when it carries no valid credentials."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            digest = token_digest(token.strip())
            return next(
                (p for d, p in self._tokens.items() if hmac.compare_digest(d, digest)), None
            )
        cookie = request.cookies.get(COOKIE_NAME)
        name = self.signer.verify(cookie) if cookie else None
        user = self._users.get(name) if name else None  # a removed user's cookie stops working
        return Principal(name, user.role) if name and user else None


def _bootstrap_password(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(password + "\n")
    return password


def _access(request: Request) -> Access:
    """The serving worker's users and tokens (`bot.worker.Worker.access`)."""
    access: Access = request.app.state.worker.access
    return access


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting signed-in users and tokens with one of `roles` (or admin):
    401 without credentials, 403 with a role that is not admitted."""

    async def admitted(request: Request) -> Principal:
        principal = _access(request).identify(request)
        if principal is None:
            raise HTTPException(
                401,
                detail="Sign in at /login or send an API token (Authorization: Bearer …).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if principal.role != "admin" and principal.role not in roles:
            raise HTTPException(
                403, detail=f"The role '{principal.role}' may not use this ({', '.join(roles)})."
            )
        return principal

    return admitted


# Who may do what.
SUPERVISORS = require("supervisor")
CALL_READERS = require("supervisor", "designer")
METRICS_READERS = require("monitor")
