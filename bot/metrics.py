"""The worker's Prometheus metrics, served at /metrics: every series is defined here, and fed by
one-line hooks where its event happens (calls, turns, ASR, LLM, TTS, dialogue events, the
campaign dialer, SIP responses). Kept free of bot imports so any layer may feed it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

if TYPE_CHECKING:
    from bot.calls.record import Turn

disable_created_metrics()  # no `*_created` series beside every counter and histogram

# Seconds: a turn's stages are tens of milliseconds to seconds.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)

CALLS = Counter("hotline_calls", "Calls ended, by channel and outcome", ["channel", "outcome"])
ACTIVE_CALLS = Gauge("hotline_active_calls", "Calls in progress", ["channel"])
TURN_STAGE = Histogram(
    "hotline_turn_stage_seconds",
    "Time of each stage of a turn: asr (speech end → final transcript), dialogue (→ reply "
    "text), tts (→ first synthesised audio), output (→ first audio out), total (speech end → "
    "first audio out)",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
ASR_SERVER_FALLBACKS = Counter(
    "hotline_asr_server_fallbacks_total",
    "Finals the recognition server (asr.url) could not give; the embedded model wrote them",
)
ASR_QUEUE = Gauge("hotline_asr_queue_depth", "Final transcripts waiting for a free ASR decoder")
ASR_FINAL_WAIT = Histogram(
    "hotline_asr_final_wait_seconds",
    "How long a final transcript waited for a free ASR decoder",
    buckets=LATENCY_BUCKETS,
)
ASR_INTERIMS_SHED = Counter(
    "hotline_asr_interims_shed_total",
    "Interim transcripts not decoded because every decoder was busy or a final was waiting",
)
ASR_DECODE = Histogram(
    "hotline_asr_decode_seconds",
    "Decode time of one utterance (interim or final)",
    buckets=LATENCY_BUCKETS,
)
LLM_REQUESTS = Histogram(
    "hotline_llm_request_seconds",
    "LLM requests by outcome (ok, timeout, error)",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
LLM_FALLBACKS = Counter(
    "hotline_llm_fallbacks", "Caller turns read by the local rules because the LLM failed"
)
TTS_FIRST_AUDIO = Histogram(
    "hotline_tts_first_audio_seconds",
    "Reply text → first synthesised audio",
    buckets=LATENCY_BUCKETS,
)
ESCALATIONS = Counter("hotline_escalations", "Calls handed to a human, by reason", ["reason"])
TICKETS = Counter("hotline_tickets_created", "Work orders created on calls")
CAMPAIGN_ATTEMPTS = Counter(
    "hotline_campaign_attempts", "Outbound campaign attempts, by outcome", ["outcome"]
)
SIP_RESPONSES = Counter(
    "hotline_sip_responses", "SIP responses sent, by class (1xx … 6xx)", ["status_class"]
)

CHANNELS = ("webrtc", "sip")
CALL_OUTCOMES = ("completed", "escalated", "caller_hung_up", "failed")
LLM_OUTCOMES = ("ok", "timeout", "error")
_STAGES = {
    "asr": ("speech_end", "asr_final"),
    "dialogue": ("asr_final", "reply_ready"),
    "tts": ("reply_ready", "first_tts_audio"),
    "output": ("first_tts_audio", "first_audio_out"),
    "total": ("speech_end", "first_audio_out"),
}


def _start_at_zero() -> None:
    """Label values known in advance are exported from the start, so that a dashboard's
    rate() has a series before the first event."""
    for channel in CHANNELS:
        ACTIVE_CALLS.labels(channel)
        for outcome in CALL_OUTCOMES:
            CALLS.labels(channel, outcome)
    for stage in _STAGES:
        TURN_STAGE.labels(stage)
    for outcome in LLM_OUTCOMES:
        LLM_REQUESTS.labels(outcome)
    for status_class in range(1, 7):
        SIP_RESPONSES.labels(f"{status_class}xx")


_start_at_zero()


def turn_heard(turn: Turn) -> None:
    """A turn's reply reached the caller: observe the stages whose ends were both stamped."""
    for stage, (start, end) in _STAGES.items():
        began, ended = getattr(turn, start), getattr(turn, end)
        if began is not None and ended is not None:
            TURN_STAGE.labels(stage).observe(max(0.0, ended - began))


def dialogue_events(events: Iterable[Mapping[str, Any]]) -> None:
    for event in events:
        if event["type"] == "ticket_created":
            TICKETS.inc()
        elif event["type"] == "transfer":
            ESCALATIONS.labels(event["reason"]).inc()


def call_ended(channel: str, events: Iterable[Mapping[str, Any]], failed: bool) -> None:
    kinds = {event["type"] for event in events}
    if failed:
        outcome = "failed"
    elif "transfer" in kinds:
        outcome = "escalated"
    elif "hangup" in kinds:
        outcome = "completed"
    else:
        outcome = "caller_hung_up"
    CALLS.labels(channel, outcome).inc()


def sip_response(status: int) -> None:
    SIP_RESPONSES.labels(f"{status // 100}xx").inc()
