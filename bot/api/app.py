"""The FastAPI application of one bot worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.api import calls, campaigns, console, login, metrics, phone, tickets
from bot.config import Settings
from bot.llm.probe import LLMMonitor
from bot.pipeline import CallServices
from bot.worker import Worker, WorkerDep


def create_app(settings: Settings, services: CallServices | None = None) -> FastAPI:
    """Build the app; `services` (models, voice, store) are loaded at startup unless given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.worker = await Worker.start(settings, services)
        yield
        await app.state.worker.stop()

    app = FastAPI(
        title="12345 hotline voice bot",
        description=(
            "Citizen phone page and its WebRTC signalling (open); console, call records, "
            "tickets, campaigns and /metrics (signed-in users or API tokens, by role)."
        ),
        lifespan=lifespan,
    )
    app.include_router(login.router)
    app.include_router(phone.router)
    app.include_router(calls.router)
    app.include_router(tickets.router)
    app.include_router(campaigns.router)
    app.include_router(console.router)
    app.include_router(metrics.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz(worker: WorkerDep) -> dict[str, object]:
        """Liveness: the worker is up and its models are loaded; `prompts_cached` turns true
        once the fixed prompts and answers are synthesised (calls work before that too).
        `llm`: whether understanding uses the LLM and whether it answers (probed in the
        background every minute; a crashed embedded server shows at once). While it does not
        answer, callers are understood by the local rules."""
        monitor: LLMMonitor | None = worker.llm_monitor
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
        return {"status": "ok", "prompts_cached": worker.prompt_warm_up.done(), "llm": llm}

    return app
