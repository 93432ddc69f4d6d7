"""What the bot keeps about each call: who, when, and every turn with its timings."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from bot.dialogue.events import Event, parse_event

Channel = Literal["webrtc", "sip"]
E = TypeVar("E", bound=Event)


class Turn(BaseModel):
    """One exchange: what the caller said (absent for the greeting) and the bot's reply.

    Timestamps are Unix epoch seconds; `latency_ms` is caller speech end → first bot audio out.
    """

    index: int
    caller_text: str | None = None
    caller_dtmf: str | None = Field(default=None, description="key the caller pressed (RFC 4733)")
    bot_text: str | None = None
    speech_end: float | None = Field(default=None, description="caller stopped speaking (VAD)")
    asr_final: float | None = Field(default=None, description="final transcript ready")
    reply_ready: float | None = Field(default=None, description="dialogue reply text ready")
    first_tts_audio: float | None = Field(default=None, description="first synthesised audio chunk")
    first_audio_out: float | None = Field(default=None, description="first reply audio frame sent")
    interrupted_at: float | None = Field(
        default=None, description="the caller barged in and the bot's audio was cut off"
    )

    @property
    def latency_ms(self) -> float | None:
        if self.speech_end is None or self.first_audio_out is None:
            return None
        return round((self.first_audio_out - self.speech_end) * 1000, 1)


class CallRecord(BaseModel):
    id: str
    channel: Channel
    direction: Literal["inbound", "outbound"] = "inbound"
    caller: str | None = None
    sip_call_id: str | None = Field(default=None, description="Call-ID of a SIP call")
    worker: str | None = Field(default=None, description="URL of the worker carrying it")
    started_at: float
    ended_at: float | None = None
    recording: str | None = Field(default=None, description="WAV: left = caller, right = bot")
    interim: str | None = Field(default=None, description="what the caller is saying right now")
    turns: list[Turn] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(
        default_factory=list, description="ticket_created, answer, transfer, hangup …"
    )

    def dialogue_events(self, kind: type[E]) -> list[E]:
        """The dialogue's events of one kind, typed, in order."""
        typed = (parse_event(event) for event in self.events)
        return [event for event in typed if isinstance(event, kind)]

    def public(self) -> dict[str, object]:
        """The JSON shape served by the API (turns carry their computed latency)."""
        data = self.model_dump()
        for turn, dumped in zip(self.turns, data["turns"], strict=True):
            dumped["latency_ms"] = turn.latency_ms
        return data
