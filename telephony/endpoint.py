"""The bot's SIP endpoint: answers calls from the trunk and places calls through it.

aiosipua carries the signalling (UDP); this module decides what to do with each request:
admission (allowlist, rate, capacity, digest auth), SDP answers, RTP streams, re-INVITEs
(hold, refresh), BYE and CANCEL, outbound INVITEs with their outcome, and REFER transfers.
A request that cannot be served gets a final response and never disturbs another call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from aiosipua import IncomingCall, OutgoingCall, SipDigestAuth, SipRequest

from telephony import sdp, sip_message
from telephony.admission import Admission, Refusal
from telephony.bridge import bridge
from telephony.call import CallOutcome, Referral, SipCall, outcome_of_status
from telephony.digest import DigestGuard
from telephony.early_media import EarlyMedia
from telephony.rtp_stream import RtpPorts, RtpStream
from telephony.uac import Uac
from telephony.uas import Uas
from telephony.udp_transport import UdpTransport

logger = logging.getLogger(__name__)

USER_AGENT = "hotline12345"


class TransferOutcome(StrEnum):
    REFERRED = "referred"  # the far end took the call to the target itself (REFER)
    BRIDGED = "bridged"  # REFER refused: the bot called the target and joined the two
    FAILED = "failed"  # the target could not be reached either way


@dataclass
class _Referring:
    """A REFER in flight: `accepted` once the peer took it (2xx or a NOTIFY)."""

    done: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    accepted: bool = False


@dataclass(frozen=True)
class DialResult:
    """The outcome of an outbound INVITE; `call` is set when it was answered, `early_audio`
    (8 kHz 16-bit PCM) holds what the far end played before a final answer that was not 2xx."""

    outcome: CallOutcome
    status: int | None = None
    call: SipCall | None = None
    early_audio: bytes = b""


class SipEndpoint:
    """One UDP SIP listener. Set `on_call` to run each answered inbound call."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        advertised_host: str,
        ports: RtpPorts,
        admission: Admission,
        digest: DigestGuard,
    ) -> None:
        self.host = host
        self.advertised_host = advertised_host
        self._transport = UdpTransport(local_addr=(host, port))
        self.ports = ports
        self._admission = admission
        self._digest = digest
        self._uac: Uac | None = None
        self._uas: Uas | None = None
        self._answering: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._transfers: dict[str, _Referring] = {}
        self.calls: dict[str, SipCall] = {}
        self.on_call: Callable[[SipCall], Awaitable[None]] | None = None

    @property
    def port(self) -> int:
        return self._transport.local_addr[1]

    @property
    def signalling_addr(self) -> tuple[str, int]:
        return self.advertised_host, self.port

    @property
    def active_calls(self) -> int:
        """Calls answered or being answered: what the call limit counts."""
        return len(self.calls) + len(self._answering)

    async def start(self) -> None:
        self._uac = Uac(self._transport, advertised_addr=self.signalling_addr)
        self._uac.on_refer_response = self._refer_answered
        uas = Uas(
            self._transport,
            user_agent=USER_AGENT,
            uac=self._uac,
            advertised_addr=self.signalling_addr,
        )
        uas.on_invite = self._invite
        uas.on_reinvite = self._reinvite
        uas.on_bye = self._bye
        uas.on_cancel = self._cancel
        uas.on_ack_timeout = self._media_lost
        uas.on_session_expired = self._media_lost
        uas.on_transfer_progress = self._target_answered
        await uas.start()
        self._uas = uas
        logger.info("SIP listening on %s:%d (udp)", self.host, self.port)

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            await call.hangup("bot stopped")
        for task in [*self._answering.values(), *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._answering.values(), *self._tasks, return_exceptions=True)
        if self._uas is not None:
            await self._uas.stop()

    def _spawn(self, coro: Awaitable[None], name: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- inbound ---------------------------------------------------------------------

    def _refuse(self, call: IncomingCall, refusal: Refusal, **headers: str) -> None:
        response = call.dialog.create_response(call.invite, refusal.status, refusal.reason)
        if refusal.retry_after_s is not None:
            response.headers.set_single("Retry-After", str(refusal.retry_after_s))
        for name, value in headers.items():
            response.headers.set_single(name.replace("_", "-"), value)
        response.headers.set_single("User-Agent", USER_AGENT)
        self._transport.send_reply(response)
        call.dialog.terminate()

    def _invite(self, call: IncomingCall) -> None:
        refusal = self._admission.check(call.source_addr[0], self.active_calls)
        if refusal is not None:
            logger.warning(
                "INVITE %s from %s refused: %d", call.call_id, call.source_addr, refusal.status
            )
            self._refuse(call, refusal)
            return
        if self._digest.enabled and not self._digest.verify(call.invite):
            self._refuse(
                call, Refusal(401, "Unauthorized"), WWW_Authenticate=self._digest.challenge()
            )
            return
        if call.sdp_offer is None:
            self._refuse(
                call,
                Refusal(488, "Not Acceptable Here"),
                Warning=sip_message.warning("SDP offer required"),
            )
            return
        task = asyncio.get_running_loop().create_task(
            self._answer(call), name=f"answer-{call.call_id}"
        )
        self._answering[call.call_id] = task
        task.add_done_callback(lambda _: self._answering.pop(call.call_id, None))

    async def _answer(self, call: IncomingCall) -> None:
        assert call.sdp_offer is not None
        call.ringing()
        try:
            port = await self.ports.take()
        except RuntimeError:
            self._refuse(call, Refusal(503, "Service Unavailable", retry_after_s=5))
            return
        try:
            answer, media = sdp.answer_offer(call.sdp_offer, self.advertised_host, port)
            rtp = await RtpStream.open(
                self.host, port, self.ports, media, signalling_host=call.source_addr[0]
            )
        except (sdp.SdpError, OSError) as exc:
            await self.ports.give_back(port)
            logger.warning("INVITE %s: no media: %s", call.call_id, exc)
            self._refuse(
                call, Refusal(488, "Not Acceptable Here"), Warning=sip_message.warning(str(exc))
            )
            return
        except asyncio.CancelledError:
            await self.ports.give_back(port)
            raise
        except Exception:
            await self.ports.give_back(port)
            logger.exception("INVITE %s could not be answered", call.call_id)
            self._refuse(call, Refusal(500, "Server Internal Error"))
            return
        call.accept(answer)
        sip_call = SipCall(
            dialog=call.dialog,
            direction="inbound",
            rtp=rtp,
            send_bye=call.hangup,
            refer=lambda target, wait_s: self._refer(
                call.dialog.call_id, call.source_addr, target, wait_s
            ),
            headers=call.x_headers,
        )
        self.calls[call.call_id] = sip_call
        logger.info(
            "call %s from %s answered (PT %d)",
            call.call_id,
            sip_call.remote_number,
            media.payload_type,
        )
        if self.on_call is not None:
            self._spawn(self.serve(sip_call), f"sip-call-{call.call_id}")

    async def serve(self, call: SipCall) -> None:
        """Run `on_call` for an answered call (either direction), then make sure it is over."""
        assert self.on_call is not None
        try:
            await self.on_call(call)
        except Exception:
            logger.exception("call %s failed", call.id)
        finally:
            if call.bridge is None:  # a bridged call ends with its bridge
                await self.release(call)

    async def release(self, call: SipCall) -> None:
        """Hang up (after the queued audio) and forget a call."""
        await call.hangup()
        self.calls.pop(call.id, None)

    def _cancel(self, request: SipRequest, _addr: tuple[str, int]) -> None:
        task = self._answering.pop(request.call_id or "", None)
        if task is not None:
            task.cancel()

    def _reinvite(self, call: IncomingCall) -> None:
        """Hold, unhold, a new address or a bare session refresh: answer without a drop."""
        sip_call = self.calls.get(call.call_id)
        if sip_call is None:
            self._refuse(call, Refusal(481, "Call/Transaction Does Not Exist"))
            return
        if not call.invite.body:
            call.accept(call.sdp_answer)
            return
        try:
            offer = sdp.parse(call.invite.text)
            answer, media = sdp.answer_offer(offer, self.advertised_host, sip_call.rtp.port)
        except sdp.SdpError as exc:
            logger.warning("re-INVITE on %s refused: %s", call.call_id, exc)
            response = call.dialog.create_response(call.invite, 488, "Not Acceptable Here")
            self._transport.send_reply(response)
            return
        sip_call.rtp.update(media)
        call.accept(answer)
        logger.info("call %s %s", call.call_id, "on hold" if media.on_hold else "media updated")

    def _bye(self, call: IncomingCall, _request: SipRequest) -> None:
        sip_call = self.calls.pop(call.call_id, None)
        if sip_call is not None:
            self._spawn(sip_call.finish("caller hung up"), f"bye-{call.call_id}")

    def _media_lost(self, call: IncomingCall) -> None:
        sip_call = self.calls.pop(call.call_id, None)
        if sip_call is not None:
            self._spawn(sip_call.finish("dialog timed out"), f"timeout-{call.call_id}")

    # --- outbound --------------------------------------------------------------------

    async def dial(
        self,
        target: str,
        *,
        proxy: tuple[str, int],
        caller: str,
        credentials: SipDigestAuth | None = None,
        ring_timeout_s: float = 30.0,
    ) -> DialResult:
        """Call `target` (a SIP URI) through `proxy`; return once it is answered or not."""
        assert self._uac is not None
        uac = self._uac
        port = await self.ports.take()
        offer = sdp.make_offer(self.advertised_host, port)
        from_uri = f"sip:{caller}@{self.advertised_host}"
        outgoing = uac.send_invite(
            from_uri, target, proxy, offer, auth=credentials, user_agent=USER_AGENT
        )
        early = EarlyMedia(self.host, port, self.ports, outgoing.remote_addr[0])
        uac.early_media[outgoing.call_id] = early.offered
        ringing = asyncio.Event()
        final: list[int] = []
        outgoing.on_ringing = lambda _call: ringing.set()
        outgoing.on_rejected = lambda _call, status, _reason: final.append(status)
        try:
            await outgoing.wait_answered(timeout=ring_timeout_s)
        except TimeoutError:
            await early.close()
            if ringing.is_set():
                outgoing.cancel(uac)
                return DialResult(CallOutcome.NO_ANSWER, early_audio=early.audio)
            return DialResult(CallOutcome.FAILED)
        except RuntimeError:
            await early.close()
            status = final[0] if final else 500
            return DialResult(outcome_of_status(status), status, early_audio=early.audio)
        except asyncio.CancelledError:
            await early.close()
            outgoing.cancel(uac)
            raise
        finally:
            uac.early_media.pop(outgoing.call_id, None)
        return await self._connected(outgoing, port, await early.hand_over())

    async def _connected(
        self, outgoing: OutgoingCall, port: int, early: RtpStream | None
    ) -> DialResult:
        """The call was answered: its media from the 200's SDP, on the stream early media
        opened (moved to the answer's address) or on a new one."""
        assert self._uac is not None
        uac = self._uac
        try:
            if outgoing.sdp_answer is None:
                raise sdp.SdpError("the 200 OK carried no SDP answer")
            media = sdp.read_answer(outgoing.sdp_answer)
            if early is not None:
                early.update(media)
                rtp = early
            else:
                rtp = await RtpStream.open(
                    self.host, port, self.ports, media, signalling_host=outgoing.remote_addr[0]
                )
        except (sdp.SdpError, OSError) as exc:
            logger.warning("call %s answered without usable media: %s", outgoing.call_id, exc)
            if early is not None:
                await early.close()
            else:
                await self.ports.give_back(port)
            outgoing.hangup(uac)
            return DialResult(CallOutcome.FAILED, 200)
        call = SipCall(
            dialog=outgoing.dialog,
            direction="outbound",
            rtp=rtp,
            send_bye=lambda: outgoing.hangup(uac),
            refer=lambda target, wait_s: self._refer(
                outgoing.call_id, outgoing.remote_addr, target, wait_s
            ),
        )
        self.calls[call.id] = call
        return DialResult(CallOutcome.ANSWERED, 200, call)

    # --- transfer --------------------------------------------------------------------

    async def transfer(
        self,
        call: SipCall,
        target: str,
        *,
        proxy: tuple[str, int],
        credentials: SipDigestAuth | None = None,
        ring_timeout_s: float = 30.0,
    ) -> TransferOutcome:
        """Hand `call` to `target`: blind transfer first; if the peer refuses REFER, call the
        target and bridge the two (the bot stays in the media path until either hangs up).
        A target that fails after the peer accepted the REFER is not dialled again."""
        referral = await call.transfer(target, ring_timeout_s)
        if referral.answered:
            await call.hangup("transferred")
            return TransferOutcome.REFERRED
        if referral.accepted:
            logger.warning(
                "call %s: transfer to %s failed at the target: %d",
                call.id,
                target,
                referral.status,
            )
            return TransferOutcome.FAILED
        logger.info("call %s: REFER refused (%d), bridging to %s", call.id, referral.status, target)
        dialled = await self.dial(
            target,
            proxy=proxy,
            caller=call.remote_number,
            credentials=credentials,
            ring_timeout_s=ring_timeout_s,
        )
        if dialled.call is None:
            logger.warning("call %s: transfer target %s %s", call.id, target, dialled.outcome)
            return TransferOutcome.FAILED
        call.bridge = self._spawn(bridge(call, dialled.call), f"bridge-{call.id}")
        return TransferOutcome.BRIDGED

    async def _refer(
        self, call_id: str, remote: tuple[str, int], target: str, wait_s: float
    ) -> Referral:
        """Send REFER and wait up to `wait_s` for the final word: the REFER's refusal, or the
        target's answer from a NOTIFY (408 when neither came)."""
        assert self._uac is not None
        call = self.calls.get(call_id)
        if call is None:
            return Referral(accepted=False, status=481)
        referring = self._transfers[call_id] = _Referring()
        try:
            self._uac.send_refer(call.dialog, target, remote)
            status = await asyncio.wait_for(referring.done, wait_s)
        except TimeoutError:
            status = 408
        finally:
            self._transfers.pop(call_id, None)
        return Referral(accepted=referring.accepted, status=status)

    def _refer_answered(self, call_id: str, status: int) -> None:
        """The peer's final response to our REFER: 2xx accepts it, anything else refuses."""
        referring = self._transfers.get(call_id)
        if referring is None or referring.done.done():
            return
        if 200 <= status < 300:
            referring.accepted = True
        else:
            referring.done.set_result(status)

    def _target_answered(self, call_id: str, status: int, _reason: str = "") -> None:
        """A NOTIFY with the transfer target's answer (a sipfrag); the final one decides."""
        referring = self._transfers.get(call_id)
        if referring is not None and not referring.done.done() and status >= 200:
            referring.accepted = True
            referring.done.set_result(status)
