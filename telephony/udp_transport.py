"""aiosipua's UDP transport with a datagram protocol of our own, and Record-Route echoing.

* aiosipua's protocol asserts that the loop's transport is an `asyncio.DatagramTransport`,
  which selector transports only are from Python 3.12; on 3.11 every start printed an
  AssertionError traceback. Parsing and dispatch stay aiosipua's.
* A UAS must copy an INVITE's Record-Route headers into the responses that set up the dialog
  (RFC 3261 §12.1.1); aiosipua does not, so behind Kamailio the caller's ACK and BYE would
  skip the proxy. The transport sees every INVITE and every reply, so it adds them here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiosipua import SipMessage, SipRequest, SipResponse, UdpSipTransport

logger = logging.getLogger(__name__)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int] | Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.warning("SIP UDP error: %s", exc)


def _invite_key(message: SipMessage) -> tuple[str, int] | None:
    cseq = message.cseq
    if cseq is None or cseq.method.upper() != "INVITE":
        return None
    return message.call_id or "", cseq.seq


@dataclass
class UdpTransport(UdpSipTransport):
    _record_routes: dict[tuple[str, int], list[str]] = field(
        default_factory=dict, init=False, repr=False
    )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=self.local_addr
        )
        self._udp_transport = transport

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if data.startswith(b"INVITE "):
            try:
                request = SipMessage.parse(data)
            except Exception:  # aiosipua's own dispatch reports unparseable messages
                request = None
            if isinstance(request, SipRequest):
                key = _invite_key(request)
                routes = request.headers.get("record-route")
                if key is not None and routes:
                    self._record_routes[key] = routes
        super()._dispatch(data, addr)

    def send_reply(self, response: SipResponse) -> None:
        key = _invite_key(response)
        if key is not None and key in self._record_routes:
            status = response.status_code
            if 100 < status < 300 and not response.headers.get("record-route"):
                for route in self._record_routes[key]:
                    response.headers.append("Record-Route", route)
            if status >= 200:
                self._record_routes.pop(key, None)
        super().send_reply(response)
