"""Stand-in engine until the flow engine lands: greets, then says back what it heard."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import DialogueConfig
from bot.dialogue.engine import Reply


@dataclass
class AcknowledgingSession:
    config: DialogueConfig

    async def start(self) -> list[Reply]:
        return [Reply(self.config.greeting)]

    async def handle(self, utterance: str) -> list[Reply]:
        text = utterance.strip().rstrip("。.!！?？")
        if not text:
            return [Reply(self.config.not_heard)]
        return [Reply(self.config.acknowledgement.format(text=text))]


@dataclass(frozen=True)
class AcknowledgingEngine:
    config: DialogueConfig

    def new_session(self, call_id: str, caller: str | None) -> AcknowledgingSession:
        return AcknowledgingSession(self.config)
