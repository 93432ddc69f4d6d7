"""Two calls joined: each side hears the other, keys pass through, and when one side hangs up
the other is hung up too. The fallback for a trunk that refuses blind transfer (REFER)."""

from __future__ import annotations

import asyncio

from telephony.call import SipCall


async def bridge(caller: SipCall, agent: SipCall) -> None:
    """Carry audio and digits both ways until either call ends, then end the other."""
    caller.rtp.on_audio = agent.rtp.send
    agent.rtp.on_audio = caller.rtp.send
    caller.rtp.on_dtmf = agent.rtp.send_digit
    agent.rtp.on_dtmf = caller.rtp.send_digit
    waits = [asyncio.ensure_future(call.ended.wait()) for call in (caller, agent)]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        for call in (caller, agent):
            call.rtp.on_audio = None
            call.rtp.on_dtmf = None
            await call.hangup("bridged party hung up")
