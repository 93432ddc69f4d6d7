"""Secrets at rest: console passwords as salted PBKDF2-SHA256, API tokens as SHA-256.

A password hash is one self-describing string, `pbkdf2_sha256$<iterations>$<salt>$<hash>`
(base64), so the iteration count can grow without breaking stored hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 200_000
SCHEME = "pbkdf2_sha256"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except ValueError:
        return False
    return scheme == SCHEME and hmac.compare_digest(actual, expected)


def token_digest(token: str) -> str:
    """What the configuration keeps of an API token (`auth.tokens.*.token_sha256`)."""
    return hashlib.sha256(token.encode()).hexdigest()
