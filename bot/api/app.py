"""The FastAPI application of one bot worker."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pipecat.transports.smallwebrtc.connection import IceServer
from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequestHandler

from bot.access.audit import AuditLog
from bot.access.guard import Access
from bot.api import calls, campaigns, console, login, phone, tickets
from bot.calls.listen_in import ListenIns
from bot.campaigns.dialer import CampaignDialer
from bot.campaigns.store import CampaignStore
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


def create_app(settings: Settings, services: CallServices | None = None) -> FastAPI:
    """Build the app; `services` (models, voice, store) are loaded at startup unless given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        use_host_addresses(settings.webrtc.host_addresses)
        app.state.settings = settings
        app.state.access = Access.from_settings(settings)
        app.state.audit = AuditLog.from_url(settings.redis.url, settings.redis.key_prefix)
        app.state.listen_ins = ListenIns()
        app.state.services = services or await asyncio.to_thread(CallServices.load, settings)
        await app.state.services.dialogue.warm_up()
        app.state.llm_monitor = _llm_monitor(settings, app.state.services)
        llm_probes = (
            asyncio.create_task(app.state.llm_monitor.run())
            if app.state.llm_monitor is not None
            else None
        )
        # Fixed prompts are synthesised in the background; calls may start meanwhile.
        app.state.prompt_warm_up = asyncio.get_running_loop().run_in_executor(
            None, app.state.services.warm_prompts
        )
        app.state.webrtc = SmallWebRTCRequestHandler(
            ice_servers=[IceServer(urls=url) for url in settings.webrtc.ice_servers]
        )
        app.state.calls = set()
        app.state.sip = None
        app.state.campaigns = CampaignStore.from_url(settings.redis.url, settings.redis.key_prefix)
        dialer: asyncio.Task[None] | None = None
        if settings.sip.enabled:
            app.state.sip = SipCalls(settings.sip, app.state.services)
            await app.state.sip.start()
            if settings.campaigns.dialer:
                dialer = asyncio.create_task(
                    CampaignDialer(
                        app.state.campaigns,
                        app.state.sip,
                        app.state.services.dialogue.tickets,
                        consumer=f"{socket.gethostname()}-{os.getpid()}",
                        tick_s=settings.campaigns.tick_s,
                        lease_s=settings.campaigns.lease_s,
                    ).run()
                )
        yield
        if llm_probes is not None:
            llm_probes.cancel()
            await asyncio.gather(llm_probes, return_exceptions=True)
        await app.state.listen_ins.close()
        await app.state.audit.close()
        if dialer is not None:
            dialer.cancel()
            await asyncio.gather(dialer, return_exceptions=True)
        if app.state.sip is not None:
            await app.state.sip.stop()
        await app.state.campaigns.close()
        for task in list(app.state.calls):
            task.cancel()
        await asyncio.gather(*app.state.calls, return_exceptions=True)
        await app.state.webrtc.close()
        await app.state.services.store.close()
        await app.state.services.dialogue.close()

    app = FastAPI(
        title="12345 hotline voice bot",
        description=(
            "Citizen phone page and its WebRTC signalling (open); console, call records, "
            "tickets and campaigns (signed-in users or API tokens, by role)."
        ),
        lifespan=lifespan,
    )
    app.include_router(login.router)
    app.include_router(phone.router)
    app.include_router(calls.router)
    app.include_router(tickets.router)
    app.include_router(campaigns.router)
    app.include_router(console.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, object]:
        """Liveness: the worker is up and its models are loaded; `prompts_cached` turns true
        once the fixed prompts and answers are synthesised (calls work before that too).
        `llm`: whether understanding uses the LLM and whether it answers (probed in the
        background every minute; a crashed embedded server shows at once). While it does not
        answer, callers are understood by the local rules."""
        monitor: LLMMonitor | None = app.state.llm_monitor
        llm: dict[str, object] = (
            monitor.report()
            if monitor is not None
            else {
                "configured": False,
                "answering": None,
                "detail": "dialogue.understanding is `local`: the LLM is not used",
                "latency_s": None,
                "checked_at": None,
            }
        )
        return {"status": "ok", "prompts_cached": app.state.prompt_warm_up.done(), "llm": llm}

    return app
