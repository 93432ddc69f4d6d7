"""Assembling the dialogue side of a worker: flows, understanding, knowledge, tickets, LLM.

Shared by `hotline serve` (voice calls) and `hotline chat` (the text simulator), so a flow
behaves the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import redis.asyncio as redis

from bot.config import Settings
from bot.dialogue.effects import HotlineEffects
from bot.dialogue.emergency_meaning import EmergencyMeaning
from bot.dialogue.flow_engine import FlowEngine
from bot.dialogue.llm_understanding import LLMUnderstanding
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.dialogue.meaning_match import Embedded, MeaningMatcher
from bot.dialogue.understanding import Understanding
from bot.dialogue.work_order_summary import LLMWorkOrderSummary
from bot.flows.flow_set import FlowLibrary, FlowSet
from bot.knowledge.answers import KnowledgeBase
from bot.knowledge.dense_index import default_encoder
from bot.llm.client import LLMClient
from bot.llm.llama_server import LlamaServer
from bot.redis_guard import connect
from bot.tickets.store import TicketStore

UnderstandingKind = Literal["local", "llm"]
# Words read once at start-up so the designer's texts are embedded before the first call.
WARMING = "预热"


class DialogueService:
    def __init__(
        self,
        settings: Settings,
        understanding: UnderstandingKind | None = None,
        progress: Callable[[str], None] = lambda _message: None,
        redis_client: redis.Redis | None = None,
    ) -> None:
        """`redis_client`: the worker's shared client (its owner closes it); without one the
        service opens and closes its own (chat, benches)."""
        self.settings = settings
        self.understanding_kind = understanding or settings.dialogue.understanding
        self.flows = FlowLibrary(settings.project_path(settings.flows.dir))
        knowledge = settings.knowledge
        self.knowledge = KnowledgeBase.open(
            settings.project_path(knowledge.documents_dir),
            settings.project_path(knowledge.index_dir),
            knowledge.top_k,
            knowledge.min_score,
            progress,
            confirm_score=knowledge.confirm_score,
        )
        self._own_redis = redis_client is None
        self._redis = connect(settings.redis.url) if redis_client is None else redis_client
        self.tickets = TicketStore(self._redis, settings.redis.key_prefix)
        self._understanding_for: tuple[str, Understanding | None] = ("", None)
        self.llm_server: LlamaServer | None = None
        self.llm: LLMClient | None = None
        if self.understanding_kind == "llm":
            self.llm = LLMClient(
                self._llm_url(progress),
                settings.llm.model,
                settings.llm.api_key,
                settings.llm.timeout_s,
            )
        embedded = Embedded(default_encoder())
        self.effects = HotlineEffects(
            self.tickets,
            self.knowledge,
            settings.tickets.departments,
            settings.tickets.default_department,
            LLMWorkOrderSummary(self.llm) if self.llm is not None else None,
            MeaningMatcher(embedded),
            EmergencyMeaning(embedded),
        )
        self.engine = FlowEngine(
            self.flows.current,
            self._understanding,
            self.effects,
            check_below=settings.asr.check_below,
        )

    def _consult(self) -> Literal["unsure", "stuck"]:
        """Which turns the LLM reads: on the embedded CPU model a read takes seconds, so only
        the turns the rules cannot read at all."""
        consult = self.settings.llm.consult
        if consult == "auto":
            return "unsure" if self.settings.llm.url else "stuck"
        return consult

    def _llm_url(self, progress: Callable[[str], None]) -> str:
        llm = self.settings.llm
        if llm.url:
            return llm.url
        progress("starting the embedded LLM (llama.cpp)")
        log_path = self.settings.project_path(self.settings.calls.recordings_dir).parent / "llm.log"
        self.llm_server = LlamaServer.embedded(self.settings, log_path)
        self.llm_server.start()
        return self.llm_server.url

    def _understanding(self, flow_set: FlowSet) -> Understanding:
        """One understanding per flow-set version (its classifiers are built from the flows)."""
        if self._understanding_for[0] != flow_set.version:
            local = LocalUnderstanding(flow_set)
            understanding = (
                local
                if self.llm is None
                else LLMUnderstanding(self.llm, local, flow_set, self._consult())
            )
            self._understanding_for = (flow_set.version, understanding)
        assert self._understanding_for[1] is not None
        return self._understanding_for[1]

    async def warm_up(self) -> None:
        """Start supervising the embedded LLM and prefill its prompt cache; embed the flows'
        example accounts and emergencies, so the first caller does not wait for it (≈ 2 s)."""
        if self.llm_server is not None:
            self.llm_server.supervise()
        flow_set = self.flows.current()
        understanding = self._understanding(flow_set)
        if isinstance(understanding, LLMUnderstanding):
            await understanding.warm_up()
        examples = flow_set.behaviour.intents.emergency_examples
        await self.effects.emergency_meant(WARMING, examples, flow_set.example_accounts())
        for flow in flow_set.flows.values():
            for slot in flow.slots.values():
                if slot.infer_from_account and slot.values:
                    await self.effects.closest_value(slot.values, WARMING, slot.examples)

    async def close(self) -> None:
        await self.effects.close()
        if self.llm is not None:
            await self.llm.close()
        if self.llm_server is not None:
            self.llm_server.stop()
        if self._own_redis:
            await self._redis.aclose()
