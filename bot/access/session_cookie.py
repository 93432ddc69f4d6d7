"""Signed session cookies: the user's name and an expiry, under an HMAC, so any worker with
the same key accepts them and nothing is stored server-side."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

COOKIE_NAME = "hotline_session"


class SessionSigner:
    def __init__(self, key: bytes, lifetime_s: float) -> None:
        self._key = key
        self.lifetime_s = lifetime_s

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def issue(self, user: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.lifetime_s)
        name = base64.urlsafe_b64encode(user.encode()).decode("ascii")
        payload = f"{name}.{expires}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, cookie: str, now: float | None = None) -> str | None:
        """The signed-in user's name, or None for a forged, malformed or expired cookie."""
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        name, _, expires = payload.partition(".")
        try:
            if int(expires) < (now or time.time()):
                return None
            return base64.urlsafe_b64decode(name.encode()).decode()
        except ValueError:
            return None
