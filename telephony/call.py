"""An established SIP call: its dialog, its audio, and how it ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from aiosipua import Dialog, DialogState, parse_uri

from telephony.rtp_stream import RtpStream

# The goodbye must reach the caller before the BYE; this bounds the wait.
DRAIN_TIMEOUT_S = 10.0


class CallOutcome(StrEnum):
    """How an outbound call attempt ended up."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    FAILED = "failed"


def outcome_of_status(status: int) -> CallOutcome:
    """The outcome a final SIP status means for the caller placing the call."""
    if 200 <= status < 300:
        return CallOutcome.ANSWERED
    if status in (486, 600):
        return CallOutcome.BUSY
    if status in (408, 480, 487):
        return CallOutcome.NO_ANSWER
    if status >= 500 or status in (404, 484, 604):
        return CallOutcome.FAILED
    return CallOutcome.REJECTED


@dataclass(frozen=True)
class Referral:
    """How a blind transfer went: whether the peer accepted the REFER, and the final status —
    the REFER's refusal, or (accepted) the transfer target's answer."""

    accepted: bool
    status: int

    @property
    def answered(self) -> bool:
        return self.accepted and 200 <= self.status < 300


def user_part(uri: str) -> str:
    """The number or name in a SIP URI or name-addr (`"x" <sip:0101@host>` → 0101)."""
    text = uri.strip()
    if "<" in text:
        text = text[text.index("<") + 1 : text.rindex(">")]
    try:
        return parse_uri(text).user or text
    except Exception:  # a URI we cannot read is still shown, verbatim
        return text


class SipCall:
    """A confirmed dialog with its RTP stream. `ended` is set once, whoever hangs up."""

    def __init__(
        self,
        *,
        dialog: Dialog,
        direction: Literal["inbound", "outbound"],
        rtp: RtpStream,
        send_bye: Callable[[], object],
        refer: Callable[[str, float], Awaitable[Referral]],
        headers: dict[str, str] | None = None,
    ) -> None:
        self.dialog = dialog
        self.direction = direction
        self.rtp = rtp
        self.headers = headers or {}
        self._send_bye = send_bye
        self._refer = refer
        self.ended = asyncio.Event()
        self.end_reason: str | None = None
        self.bridge: asyncio.Task[None] | None = None
        """Set while the call is joined to another one (a transfer the peer refused)."""

    @property
    def id(self) -> str:
        return self.dialog.call_id

    @property
    def remote_number(self) -> str:
        """The caller's number (inbound) or the number called (outbound)."""
        return user_part(self.dialog.remote_uri)

    @property
    def local_number(self) -> str:
        return user_part(self.dialog.local_uri)

    async def finish(self, reason: str) -> None:
        """The call is over (BYE received, media gone, or we hung up): release the media."""
        if self.ended.is_set():
            return
        self.end_reason = reason
        self.ended.set()
        await self.rtp.close()

    async def hangup(self, reason: str = "bot hung up") -> None:
        """Let queued audio play out, then send BYE."""
        if self.ended.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.rtp.drain(), DRAIN_TIMEOUT_S)
        if not self.ended.is_set() and self.dialog.state == DialogState.CONFIRMED:
            self._send_bye()
        await self.finish(reason)

    async def transfer(self, target: str, wait_s: float) -> Referral:
        """Blind transfer (REFER), waiting up to `wait_s` for the target to answer."""
        return await self._refer(target, wait_s)
