"""The phone page's right to read its own call record: an HMAC of the call id, handed out with
the WebRTC answer. Any worker with the same key accepts it; a SIP call never gets one."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Call-Token"


class CallTokens:
    def __init__(self, key: bytes) -> None:
        # Its own key, derived, so a call token can never pass as a session signature.
        self._key = hmac.new(key, b"phone-call-token", hashlib.sha256).digest()

    def issue(self, call_id: str) -> str:
        return hmac.new(self._key, call_id.encode(), hashlib.sha256).hexdigest()

    def verify(self, call_id: str, token: str) -> bool:
        return hmac.compare_digest(self.issue(call_id), token)
