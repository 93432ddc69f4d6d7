"""aiosipua's UAS completed where RFC 3261 §8.2 and §14.2 ask for more.

* A Request-URI scheme other than sip, sips or tel gets 416; a method the bot does not know
  gets 501, one it knows but does not serve 405 with Allow (aiosipua answers 405 to both,
  without Allow).
* An INVITE's SDP is read before any dialog is made of it: a body the bot cannot read gets
  100 Trying and 488 with a Warning, instead of the parser's exception and silence; the body
  aiosipua goes on to parse is the canonical one (`sdp.canonical`, media type unparametrised).
* A new INVITE on a Call-ID whose first INVITE is still being answered gets 500 with
  Retry-After (§14.2) instead of a second dialog that would hide the first one's media.
"""

from __future__ import annotations

import logging

from aiosipua import Dialog, DialogState, SipRequest, SipUAS, create_dialog_from_request
from aiosipua.message import missing_required_headers

from telephony import sdp, sip_message

logger = logging.getLogger(__name__)

URI_SCHEMES = ("sip", "sips", "tel")
# RFC 3261 and its extensions' methods: these get 405 when not served, others 501.
KNOWN_METHODS = frozenset(
    "INVITE ACK BYE CANCEL OPTIONS REGISTER PRACK SUBSCRIBE NOTIFY PUBLISH INFO REFER MESSAGE "
    "UPDATE".split()
)


class Uas(SipUAS):
    def _handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        if missing_required_headers(request):  # aiosipua's 400 (or a drop without Via)
            super()._handle_request(request, addr)
            return
        if request.method not in self._handlers:
            known = request.method in KNOWN_METHODS
            self._send_error(
                request,
                405 if known else 501,
                "Method Not Allowed" if known else "Not Implemented",
                extra_headers={"Allow": ", ".join(self._handlers)},
            )
            return
        if request.uri.partition(":")[0].lower() not in URI_SCHEMES:
            self._send_error(request, 416, "Unsupported URI Scheme")
            return
        super()._handle_request(request, addr)

    def _handle_invite(self, request: SipRequest, addr: tuple[str, int]) -> None:
        known = self._calls.get(request.call_id or "")
        state = known.dialog.state if known is not None else None
        if state == DialogState.EARLY:
            self._send_error(
                request, 500, "Server Internal Error", extra_headers={"Retry-After": "1"}
            )
            return
        media_type = (request.content_type or "").partition(";")[0].strip().lower()
        if request.body and media_type == "application/sdp":
            try:
                sdp.parse(request.text)
            except sdp.SdpError as exc:
                confirmed = known.dialog if known and state == DialogState.CONFIRMED else None
                self._decline(request, confirmed, str(exc))
                return
            request.text = sdp.canonical(request.text)
            request.content_type = "application/sdp"
        super()._handle_invite(request, addr)

    def _decline(self, request: SipRequest, dialog: Dialog | None, why: str) -> None:
        """488 for an offer the bot cannot read (a new INVITE gets its 100 Trying first)."""
        logger.warning("INVITE %s: SDP refused: %s", request.call_id, why)
        if dialog is None:
            dialog = create_dialog_from_request(request)
            self.transport.send_reply(dialog.create_response(request, 100, "Trying"))
        response = dialog.create_response(request, 488, "Not Acceptable Here")
        response.headers.set_single("Warning", sip_message.warning(why))
        if self.user_agent:
            response.headers.set_single("User-Agent", self.user_agent)
        self.transport.send_reply(response)
