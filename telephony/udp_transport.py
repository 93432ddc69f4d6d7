"""aiosipua's UDP transport, with the message checks and INVITE server transactions it lacks.

* Every datagram is checked before aiosipua acts on it (`sip_message.fault`): a request it
  would misread gets 400 (505 for another SIP version) and goes no further, a malformed
  response or a datagram that is no SIP message at all is dropped and logged. Nothing a peer
  sends can raise out of the transport; a handler that raises anyway answers 500.
* INVITE server transactions (RFC 3261 §17.2.1): a retransmitted INVITE (same Call-ID,
  From tag, CSeq and branch) gets the last response sent for it again instead of making a
  second dialog — before the final response, and while the 200 may still be in flight.
* A UAS must copy an INVITE's Record-Route headers into the responses that set up the dialog
  (RFC 3261 §12.1.1); aiosipua does not, so behind Kamailio the caller's ACK and BYE would
  skip the proxy.
* aiosipua's own protocol asserts that the loop's transport is an `asyncio.DatagramTransport`,
  which selector transports only are from Python 3.12 (an AssertionError traceback at start).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiosipua import Dialog, SipMessage, SipRequest, SipResponse, UdpSipTransport
from aiosipua.transport import _stamp_via_received
from aiosipua.utils import generate_tag

from bot.metrics import sip_response
from telephony import sip_message

logger = logging.getLogger(__name__)

# How long an INVITE's responses are kept for its retransmissions: 64×T1 after the last one
# (Timer H, RFC 3261 §17.2.1), and how many transactions at most (oldest forgotten first).
TRANSACTION_S = 32.0
MAX_TRANSACTIONS = 4096

InviteKey = tuple[str, str, int, str]


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int] | Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.warning("SIP UDP error: %s", exc)


def _invite_key(message: SipRequest | SipResponse) -> InviteKey | None:
    """The INVITE transaction a message belongs to (RFC 3261 §17.2.3)."""
    cseq = sip_message.cseq(message)
    if cseq is None or cseq[1] != "INVITE":
        return None
    sender = message.from_addr
    vias = message.via
    return (
        message.call_id or "",
        (sender.tag if sender else None) or "",
        cseq[0],
        (vias[0].branch if vias else None) or "",
    )


def _refusal(request: SipRequest, status: int, reason: str, warning: str = "") -> SipResponse:
    """A final response to a request no dialog was made of."""
    dialog = Dialog(call_id=request.call_id or "", local_tag=generate_tag())
    response = dialog.create_response(request, status, reason)
    if warning:
        response.headers.set_single("Warning", sip_message.warning(warning))
    return response


@dataclass
class _Invite:
    routes: list[str]
    last: SipResponse | None = None
    expires: float = field(default_factory=lambda: time.monotonic() + TRANSACTION_S)


@dataclass
class UdpTransport(UdpSipTransport):
    _invites: dict[InviteKey, _Invite] = field(default_factory=dict, init=False, repr=False)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=self.local_addr
        )
        self._udp_transport = transport

    def send(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        # asyncio closes the whole socket on the OverflowError of a port out of range.
        if not 0 < addr[1] < 65536:
            logger.warning("SIP message to %s:%d not sent: no such port", *addr)
            return
        super().send(message, addr)

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():  # a CRLF keep-alive (RFC 5626 §3.5.1)
            return
        try:
            message = SipMessage.parse(data)
        except Exception as exc:  # the parser raises whatever its input provokes
            logger.warning("datagram from %s:%d dropped: not a SIP message (%s)", *addr, exc)
            return
        problem = sip_message.fault(data, message)
        if isinstance(message, SipResponse):
            if problem is not None:
                logger.warning("response from %s:%d dropped: %s", *addr, problem.detail)
            else:
                self._deliver(message, addr)
            return
        if not message.headers.get("via"):
            logger.warning("%s from %s:%d dropped: no Via", message.method, *addr)
            return
        _stamp_via_received(message, addr)
        if problem is not None:
            logger.warning("%s from %s:%d refused: %s", message.method, *addr, problem.detail)
            if message.method != "ACK":
                self.send_reply(_refusal(message, problem.status, problem.reason, problem.detail))
            return
        if message.method == "INVITE" and self._retransmitted(message):
            return
        self._deliver(message, addr)

    def _deliver(self, message: SipRequest | SipResponse, addr: tuple[str, int]) -> None:
        if self.on_message is None:
            return
        try:
            self.on_message(message, addr)
        except Exception:
            logger.exception("SIP message from %s:%d could not be handled", *addr)
            if isinstance(message, SipRequest) and message.method != "ACK":
                self.send_reply(_refusal(message, 500, "Server Internal Error"))

    def _retransmitted(self, invite: SipRequest) -> bool:
        """Answer a retransmitted INVITE from its transaction; else open the transaction."""
        now = time.monotonic()
        while self._invites:  # forget transactions past Timer H (oldest first)
            oldest = next(iter(self._invites))
            if self._invites[oldest].expires > now and len(self._invites) < MAX_TRANSACTIONS:
                break
            del self._invites[oldest]
        key = _invite_key(invite)
        if key is None:  # no CSeq: aiosipua answers 400
            return False
        known = self._invites.get(key)
        if known is None:
            self._invites[key] = _Invite(routes=invite.headers.get("record-route"))
            return False
        if known.last is not None:
            super().send_reply(known.last)
        return True

    def send_reply(self, response: SipResponse) -> None:
        key = _invite_key(response)
        # Popped and put back, so the dict stays ordered by expiry.
        if key is not None and (invite := self._invites.pop(key, None)) is not None:
            status = response.status_code
            if 100 < status < 300 and not response.headers.get("record-route"):
                for route in invite.routes:
                    response.headers.append("Record-Route", route)
            invite.last = response
            invite.expires = time.monotonic() + TRANSACTION_S
            self._invites[key] = invite
        sip_response(response.status_code)
        super().send_reply(response)
