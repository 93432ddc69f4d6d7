"""Who may start a call, and how many at once: trunk allowlists, a call limit, an INVITE rate."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """The final response a refused INVITE gets."""

    status: int
    reason: str
    retry_after_s: int | None = None


FORBIDDEN = Refusal(403, "Forbidden")
BUSY = Refusal(486, "Busy Here")
OVERLOADED = Refusal(503, "Service Unavailable", retry_after_s=1)


class Admission:
    """Decides on each new INVITE before any media is set up.

    An empty allowlist admits every source (a bot on a private trunk network); the rate is
    a token bucket, so a burst of `invites_per_second` INVITEs passes and a flood does not.
    """

    def __init__(self, allowlist: Sequence[str], max_calls: int, invites_per_second: float) -> None:
        self._networks = [ipaddress.ip_network(net, strict=False) for net in allowlist]
        self._max_calls = max_calls
        self._rate = invites_per_second
        self._tokens = max(1.0, invites_per_second)
        self._refilled = time.monotonic()

    def allowed_source(self, ip: str) -> bool:
        if not self._networks:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def _take_token(self) -> bool:
        now = time.monotonic()
        burst = max(1.0, self._rate)
        self._tokens = min(burst, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def check(self, source_ip: str, active_calls: int) -> Refusal | None:
        """None to go ahead, or why not."""
        if not self.allowed_source(source_ip):
            return FORBIDDEN
        if not self._take_token():
            return OVERLOADED
        if active_calls >= self._max_calls:
            return BUSY
        return None
