"""The SIP side of one bot worker: the endpoint built from `sip` settings, every answered
call run through the same call pipeline as WebRTC, and outbound calls through a trunk."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Coroutine
from typing import Any

import numpy as np
import soxr
from aiosipua import SipDigestAuth
from loguru import logger

from bot.calls.handover import write_summary
from bot.calls.live_calls import LiveCalls
from bot.calls.record import CallRecord
from bot.config import SipConfig
from bot.dialogue.events import Transfer
from bot.pipeline import CallServices
from bot.redis_guard import StoreUnavailable
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.whisper_transcriber import SAMPLE_RATE as ASR_RATE
from telephony.admission import Admission
from telephony.call import SipCall
from telephony.digest import DigestGuard
from telephony.endpoint import DialResult, SipEndpoint, TransferOutcome
from telephony.rtp_stream import SAMPLE_RATE, RtpPorts
from telephony.sip_transport import SipCallTransport, sip_params

# The hold prompt is repeated with this much quiet in between while the agent's phone rings.
HOLD_PAUSE_S = 2.0


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.partition(":")
    return host, int(port or 5060)


def _uri_host(uri: str) -> str:
    """host[:port] of a SIP URI (sip:8001@10.0.0.5:5060;transport=udp → 10.0.0.5:5060)."""
    return uri.split("@")[-1].split(";")[0].split(">")[0]


class SipCalls:
    def __init__(
        self, config: SipConfig, services: CallServices, live: LiveCalls | None = None
    ) -> None:
        self._config = config
        self._services = services
        self._live = live
        advertised = config.advertised_host or (
            "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
        )
        allowlist = [net for trunk in config.trunks.values() for net in trunk.allowlist]
        self.endpoint = SipEndpoint(
            host=config.host,
            port=config.port,
            advertised_host=advertised,
            ports=RtpPorts(config.rtp_port_min, config.rtp_port_max),
            admission=Admission(allowlist, config.max_calls, config.invites_per_second),
            digest=DigestGuard(config.inbound_auth.realm, config.inbound_auth.users),
        )
        self.endpoint.on_call = self._answered
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.endpoint.start()

    async def stop(self) -> None:
        await self.endpoint.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the calls; it is cancelled when the worker stops."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answered(self, call: SipCall) -> None:
        record = await self.run(call)
        reason = next(
            (event.reason for event in reversed(record.dialogue_events(Transfer))),
            None,
        )
        if reason is not None and not call.ended.is_set():
            await self._hand_over(call, record, reason)

    async def _hand_over(self, call: SipCall, record: CallRecord, reason: str) -> None:
        """Put the caller through to the agent queue for `reason` (REFER, else a bridge); if
        no agent answers, the bot takes the call back, offers a callback and opens a ticket."""
        queues = self._config.agent_queues
        target = queues.get(reason) or queues.get("default")
        self._spawn(self._summarise(record))
        outcome = TransferOutcome.FAILED
        if target:
            hold = asyncio.create_task(self._hold(call))
            try:
                outcome = await self.endpoint.transfer(
                    call,
                    target,
                    proxy=_host_port(_uri_host(target)),
                    ring_timeout_s=self._config.ring_timeout_s,
                )
            finally:
                hold.cancel()
                await asyncio.gather(hold, return_exceptions=True)
        logger.info(f"call {record.id}: escalation ({reason}) to {target}: {outcome}")
        record.events.append(
            {
                "type": "transferred",
                "reason": reason,
                "agent": target,
                "outcome": outcome,
                "at": time.time(),
            }
        )
        if outcome is TransferOutcome.BRIDGED:
            # The call goes on with the agent (and stays live on the console) until either
            # side hangs up.
            record.ended_at = None
            await self._save(record)
            await call.ended.wait()
            record.ended_at = time.time()
        await self._save(record)
        if outcome is TransferOutcome.FAILED and not call.ended.is_set():
            data = {"callback_reason": f"转人工未接通（{reason}），请回电"}
            await self.run(call, "callback", data, record=record)

    async def _summarise(self, record: CallRecord) -> None:
        """Have the LLM (where one is configured) summarise the call for the agent, stored
        as soon as it is written so the console shows it while the agent's phone rings."""
        llm = self._services.dialogue.llm
        text = await write_summary(llm, record) if llm is not None else None
        if text:
            record.events.append({"type": "summary", "text": text, "at": time.time()})
            await self._save(record)

    async def _save(self, record: CallRecord) -> None:
        with contextlib.suppress(StoreUnavailable):
            await self._services.store.save(record)

    async def _hold(self, call: SipCall) -> None:
        """Say the hold prompt again and again until cancelled (the agent answered, or
        did not), then drop what is still queued so the caller hears the agent at once."""
        text = normalize_for_speech(self._services.dialogue.flows.current().behaviour.prompts.hold)
        voice = self._services.voice
        audio = await asyncio.to_thread(lambda: b"".join(voice.synthesize(text)))
        samples = soxr.resample(
            np.frombuffer(audio, dtype=np.int16), voice.sample_rate, SAMPLE_RATE
        )
        pcm = samples.astype(np.int16).tobytes()
        try:
            while True:
                call.rtp.send(pcm)
                await asyncio.sleep(len(pcm) / 2 / SAMPLE_RATE + HOLD_PAUSE_S)
        finally:
            call.rtp.clear()

    def live_call(self, record_id: str) -> SipCall | None:
        """The call on this worker whose record is `record_id`, while it lasts."""
        return next(
            (
                call
                for call in self.endpoint.calls.values()
                if not call.ended.is_set() and self.record_id(call) == record_id
            ),
            None,
        )

    @staticmethod
    def record_id(call: SipCall) -> str:
        """The call record's id: derived from the dialog (Call-ID and our tag), so whoever
        placed or answered the call can find its record."""
        return uuid.uuid5(uuid.NAMESPACE_URL, f"sip:{call.id};{call.dialog.local_tag}").hex

    async def run(
        self,
        call: SipCall,
        flow: str | None = None,
        data: dict[str, Any] | None = None,
        record: CallRecord | None = None,
    ) -> CallRecord:
        """Run one answered call (either direction) until either side hangs up; `flow` and
        `data` start it in a given flow (a campaign's survey); `record` continues a record
        (the bot taking a call back after a failed transfer). Returns the record."""
        record = record or CallRecord(
            id=self.record_id(call),
            channel="sip",
            direction=call.direction,
            caller=call.remote_number,
            sip_call_id=call.id,
            started_at=time.time(),
            worker=self._live.own_url if self._live else None,
        )
        rate = self._services.phone_input_rate
        transport = SipCallTransport(call, sip_params(rate))
        held = self._live.holding(record.id) if self._live else contextlib.nullcontext()
        async with held:
            await self._services.run_call(transport, record, rate, flow=flow, data=data)
        return record

    async def call(self, number: str, trunk: str | None = None) -> DialResult:
        """Call `number` and, once answered, talk with the callee like with any caller."""
        result = await self.dial(number, trunk)
        if result.call is not None:
            self._spawn(self.endpoint.serve(result.call))
        return result

    async def converse(
        self, call: SipCall, flow: str | None, data: dict[str, Any] | None
    ) -> CallRecord:
        """Talk with an answered outbound callee in `flow`, then hang up; returns the record."""
        try:
            return await self.run(call, flow, data)
        finally:
            await self.endpoint.release(call)

    async def hear(self, pcm: bytes, context: str) -> str:
        """What the words in `pcm` (8 kHz 16-bit, as a call's RTP brings it) say, decoded with
        `context` as the text before them: a carrier's announcement, say."""
        samples = soxr.resample(np.frombuffer(pcm, dtype=np.int16), SAMPLE_RATE, ASR_RATE)
        heard = await self._services.final_transcriber.transcribe(
            samples.astype(np.int16).tobytes(), question=context
        )
        logger.info(f"heard ({len(pcm) / 2 / SAMPLE_RATE:.1f} s): {heard.text!r}")
        return heard.text

    async def dial(self, number: str, trunk: str | None = None) -> DialResult:
        """Call `number` (digits or a SIP URI) through a configured trunk."""
        name = trunk or next(iter(self._config.trunks), "")
        if name not in self._config.trunks:
            raise KeyError(f"No SIP trunk named '{name}' is configured (sip.trunks).")
        config = self._config.trunks[name]
        host, port = _host_port(config.address)
        if number.startswith(("sip:", "sips:")):  # a URI names its own next hop
            target = number
            host, port = _host_port(_uri_host(number))
        else:
            target = f"sip:{number}@{host}:{port}"
        credentials = SipDigestAuth(config.username, config.password) if config.username else None
        logger.info(f"dialling {target} via trunk {name}")
        return await self.endpoint.dial(
            target,
            proxy=(host, port),
            caller="12345",
            credentials=credentials,
            ring_timeout_s=self._config.ring_timeout_s,
        )
