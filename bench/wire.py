"""Reading speech off captured RTP: who spoke when, and where the bot's answers begin."""

from __future__ import annotations

import numpy as np

from telephony.g711 import ulaw_decode
from tests.support.pcap import RtpPacket

# A packet is speech when its RMS is above this (µ-law idle noise decodes to ±8).
SPEECH_RMS = 200
# The bot's talkspurt begins after at least this much of its own silence.
TALKSPURT_GAP_S = 0.15


def rms(packet: RtpPacket) -> float:
    return float(np.sqrt(np.mean(ulaw_decode(packet.payload).astype(np.float64) ** 2)))


def caller_speech(packets: list[RtpPacket], caller_port: int) -> list[float]:
    """Times of the caller's non-silent packets."""
    return [p.time for p in packets if p.source_port == caller_port and rms(p) > SPEECH_RMS]


def bot_speech(packets: list[RtpPacket], caller_port: int) -> list[float]:
    """Times of the bot's non-silent packets to the caller."""
    return [p.time for p in packets if p.dest_port == caller_port and rms(p) > SPEECH_RMS]


def talkspurts(spoken: list[float]) -> list[float]:
    """Times the bot starts speaking: a non-silent packet after at least TALKSPURT_GAP_S of
    its silence."""
    return [
        after
        for before, after in zip([-1.0, *spoken], spoken, strict=False)
        if after - before >= TALKSPURT_GAP_S
    ]


def latency_ms(packets: list[RtpPacket], caller_port: int) -> float | None:
    """End of the caller's speech → the first of the bot's talkspurts after it (so a greeting
    still playing when the caller stops is not taken for the answer)."""
    spoken = caller_speech(packets, caller_port)
    if not spoken:
        return None
    end = max(spoken)
    starts = talkspurts(bot_speech(packets, caller_port))
    answer = next((start for start in starts if start > end), None)
    return None if answer is None else round((answer - end) * 1000, 1)
