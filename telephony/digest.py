"""Digest authentication of inbound INVITEs (RFC 3261 §22, MD5 with qop=auth).

Nonces are stateless: a timestamp signed with a per-process secret, so a challenge survives
retransmissions and needs no table, and an old or forged nonce is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from aiosipua import AuthChallenge, SipDigestAuth, SipRequest, build_credentials, parse_auth

NONCE_LIFETIME_S = 300


class DigestGuard:
    """Challenges INVITEs and checks the credentials of the retried ones."""

    def __init__(self, realm: str, users: dict[str, str]) -> None:
        self.realm = realm
        self._users = users
        self._secret = os.urandom(16)

    @property
    def enabled(self) -> bool:
        return bool(self._users)

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]

    def _fresh(self, nonce: str) -> bool:
        stamp, _, signature = nonce.partition(".")
        if not hmac.compare_digest(signature, self._sign(stamp)):
            return False
        try:
            issued = int(stamp, 16)
        except ValueError:
            return False
        return 0 <= time.time() - issued <= NONCE_LIFETIME_S

    def challenge(self) -> str:
        """A WWW-Authenticate value for a 401."""
        stamp = f"{int(time.time()):x}"
        nonce = f"{stamp}.{self._sign(stamp)}"
        return f'Digest realm="{self.realm}", nonce="{nonce}", algorithm=MD5, qop="auth"'

    def verify(self, request: SipRequest) -> bool:
        """Whether the request carries valid credentials of a configured user."""
        header = request.get_header("authorization")
        if not header:
            return False
        given = parse_auth(header, credentials=True).params
        password = self._users.get(given.get("username", ""))
        nonce = given.get("nonce", "")
        if password is None or given.get("realm") != self.realm or not self._fresh(nonce):
            return False
        qop = given.get("qop")
        challenge = AuthChallenge(
            scheme="Digest",
            params={"realm": self.realm, "nonce": nonce, **({"qop": qop} if qop else {})},
        )
        try:
            count = int(given.get("nc", "1"), 16)
        except ValueError:
            return False
        expected = build_credentials(
            SipDigestAuth(given["username"], password),
            challenge,
            request.method,
            given.get("uri", ""),
            nonce_count=count,
            cnonce=given.get("cnonce"),
        )
        return expected is not None and hmac.compare_digest(
            expected.params["response"], given.get("response", "")
        )
