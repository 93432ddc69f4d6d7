"""aiosipua's UAC, completed where the bot needs more of RFC 3261 and RFC 3515.

* Final non-2xx responses to an INVITE (486, 401, 487 after our CANCEL …) are ACKed in the
  INVITE's own transaction (§17.1.1.3); without that the callee keeps retransmitting them.
* Responses to our in-dialog REFERs are reported, so a refused transfer can fall back.
* SDP in a provisional response (183 Session Progress) is reported: early media to listen to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiosipua import OutgoingCall, SdpMessage, SipRequest, SipResponse, SipUAC

from telephony import sdp

logger = logging.getLogger(__name__)


def ack_for_failure(invite: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK of a final non-2xx response: same branch, Request-URI and Route as the INVITE."""
    ack = SipRequest(method="ACK", uri=invite.uri)
    top_via = invite.headers.get_first("via")
    if top_via:
        ack.headers.append("Via", top_via)
    for name in ("From", "Call-ID"):
        value = invite.headers.get_first(name)
        if value:
            ack.headers.set_single(name, value)
    to = response.headers.get_first("to")
    if to:
        ack.headers.set_single("To", to)
    cseq = invite.cseq
    ack.headers.set_single("CSeq", f"{cseq.seq if cseq else 1} ACK")
    ack.headers.set_single("Max-Forwards", "70")
    for route in invite.headers.get("route"):
        ack.headers.append("Route", route)
    return ack


class Uac(SipUAC):
    """The UAC of one endpoint; `on_refer_response(call_id, status)` reports REFER answers,
    `early_media[call_id](sdp)` the SDP of an outgoing call's provisional responses."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._cancelled: dict[str, OutgoingCall] = {}
        self.on_refer_response: Callable[[str, int], None] | None = None
        self.early_media: dict[str, Callable[[SdpMessage], None]] = {}

    def send_cancel(self, call: OutgoingCall) -> SipRequest:
        self._cancelled[call.call_id] = call
        return super().send_cancel(call)

    def handle_response(self, response: SipResponse, addr: tuple[str, int]) -> None:
        call_id = response.call_id or ""
        method = response.cseq.method.upper() if response.cseq else ""
        if method == "REFER":
            if self.on_refer_response is not None and response.status_code >= 200:
                self.on_refer_response(call_id, response.status_code)
            return
        listener = self.early_media.get(call_id)
        if (
            method == "INVITE"
            and 100 < response.status_code < 200
            and listener is not None
            and response.body
            and response.content_type == "application/sdp"
        ):
            try:
                listener(sdp.parse(response.text))
            except sdp.SdpError as exc:
                logger.warning("call %s: early media SDP not usable: %s", call_id, exc)
        if method == "INVITE" and response.status_code >= 300:
            call = self.get_call(call_id) or self._cancelled.pop(call_id, None)
            if call is not None and (
                response.cseq is not None
                and call.invite.cseq is not None
                and response.cseq.seq == call.invite.cseq.seq
            ):
                self.transport.send(ack_for_failure(call.invite, response), call.remote_addr)
        super().handle_response(response, addr)
