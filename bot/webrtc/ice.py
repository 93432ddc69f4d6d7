"""ICE host candidates: which local addresses the bot offers, and which remote ones it tries.

aioice offers every interface address except loopback. A LAN deployment wants exactly that;
a single-host or test deployment pins `webrtc.host_addresses` (e.g. to 127.0.0.1), and then
remote candidates on addresses the bot cannot reach from there are dropped from the offer.
"""

from __future__ import annotations

import ipaddress

import aioice.ice


def _is_ipv6(address: str) -> bool:
    return ":" in address


def use_host_addresses(addresses: list[str]) -> None:
    """Gather host candidates on exactly `addresses` (empty: aioice's default, all interfaces)."""
    if not addresses:
        return
    pinned = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in pinned if (use_ipv6 if _is_ipv6(a) else use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def _reachable(candidate_address: str, loopback_only: bool) -> bool:
    if not loopback_only:
        return True
    try:
        return ipaddress.ip_address(candidate_address).is_loopback
    except ValueError:  # an mDNS name (xxxx.local) cannot be on loopback
        return False


def filter_offer_candidates(sdp: str, addresses: list[str]) -> str:
    """Remove remote candidates that a loopback-only bot could never reach."""
    loopback_only = bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)
    if not loopback_only:
        return sdp
    kept = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            if len(fields) > 4 and not _reachable(fields[4], loopback_only):
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n"
