"""One bot worker process: what its HTTP requests and its calls share, built when the app
starts and closed when it stops. Routes reach it typed, through `WorkerDep`."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from pipecat.transports.smallwebrtc.connection import IceServer
from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequestHandler

from bot.access.audit import AuditLog
from bot.access.guard import Access
from bot.access.lockout import SignInLockout
from bot.calls.listen_in import ListenIns
from bot.calls.live_calls import LiveCalls
from bot.campaigns.announcements import Announcements
from bot.campaigns.dialer import CampaignDialer
from bot.campaigns.store import CampaignStore
from bot.campaigns.webhook import Outbox, WebhookSender
from bot.config import Settings
from bot.llm.probe import LLMMonitor
from bot.pipeline import CallServices
from bot.sip_calls import SipCalls
from bot.webrtc.ice import use_host_addresses


def _llm_monitor(settings: Settings, services: CallServices) -> LLMMonitor | None:
    """Background probes of the LLM that understanding uses; None when it uses none."""
    dialogue = services.dialogue
    client = dialogue.llm
    if client is None:
        return None
    server = dialogue.llm_server
    return LLMMonitor(
        server.url if server is not None else settings.llm.url,
        model=settings.llm.model,
        api_key=settings.llm.api_key,
        # Generous: a probe queued behind a caller's long prompt is slow, not down.
        timeout_s=max(settings.llm.timeout_s, 30.0),
        server=server,
        system=lambda: client.last_system,
    )


@dataclass
class Worker:
    settings: Settings
    services: CallServices
    access: Access
    audit: AuditLog
    lockout: SignInLockout
    campaigns: CampaignStore
    live_calls: LiveCalls
    listen_ins: ListenIns
    webrtc: SmallWebRTCRequestHandler
    llm_monitor: LLMMonitor | None
    prompt_warm_up: asyncio.Future[int]
    sip: SipCalls | None = None
    calls: set[asyncio.Task[None]] = field(default_factory=set)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def start(cls, settings: Settings, services: CallServices | None = None) -> Worker:
        """Load the models (unless `services` are given), then start SIP, the campaign
        dialer and the LLM probes as configured."""
        use_host_addresses(settings.webrtc.host_addresses)
        if services is None:
            services = await asyncio.to_thread(CallServices.load, settings)
        await services.dialogue.warm_up()
        client, prefix = services.redis, settings.redis.key_prefix  # one pool per worker
        worker = cls(
            settings=settings,
            services=services,
            access=Access.from_settings(settings),
            audit=AuditLog(client, prefix),
            lockout=SignInLockout(client, prefix, settings.auth.lockout),
            campaigns=CampaignStore(client, prefix),
            live_calls=LiveCalls(client, prefix, settings.http.own_url),
            listen_ins=ListenIns(),
            webrtc=SmallWebRTCRequestHandler(
                ice_servers=[IceServer(urls=url) for url in settings.webrtc.ice_servers]
            ),
            llm_monitor=_llm_monitor(settings, services),
            # Fixed prompts are synthesised in the background; calls may start meanwhile.
            prompt_warm_up=asyncio.get_running_loop().run_in_executor(None, services.warm_prompts),
        )
        if worker.llm_monitor is not None:
            worker.background.append(asyncio.create_task(worker.llm_monitor.run()))
        if settings.sip.enabled:
            worker.sip = SipCalls(settings.sip, services, worker.live_calls)
            await worker.sip.start()
            if settings.campaigns.dialer:
                dialer = CampaignDialer(
                    worker.campaigns,
                    worker.sip,
                    services.dialogue.tickets,
                    consumer=f"{socket.gethostname()}-{os.getpid()}",
                    tick_s=settings.campaigns.tick_s,
                    lease_s=settings.campaigns.lease_s,
                    do_not_call_phrases=settings.campaigns.do_not_call_phrases,
                    announcements=Announcements(settings.campaigns.announcements),
                    push_results=bool(settings.campaigns.webhook.url),
                )
                worker.background.append(asyncio.create_task(dialer.run()))
        if settings.campaigns.webhook.url:
            sender = WebhookSender(Outbox(client, prefix), settings.campaigns.webhook)
            worker.background.append(asyncio.create_task(sender.run()))
        return worker

    def start_call(self, call: Coroutine[Any, Any, None], name: str) -> None:
        """Run a call in the background; `stop` cancels the calls still running."""
        task = asyncio.create_task(call, name=name)
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def stop(self) -> None:
        """Stop the background tasks, SIP and every call, then close the shared clients."""
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.listen_ins.close()
        if self.sip is not None:
            await self.sip.stop()
        for call in list(self.calls):
            call.cancel()
        await asyncio.gather(*self.calls, return_exceptions=True)
        await self.webrtc.close()
        await self.services.close()


def current_worker(request: Request) -> Worker:
    """The worker serving `request` (set by the app's lifespan)."""
    return cast(Worker, request.app.state.worker)


WorkerDep = Annotated[Worker, Depends(current_worker)]
