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
from bot.pipeline import CallServices
from bot.sip_calls import SipCalls
from bot.webrtc.ice import use_host_addresses


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
        once the fixed prompts and answers are synthesised (calls work before that too)."""
        return {"status": "ok", "prompts_cached": app.state.prompt_warm_up.done()}

    return app
