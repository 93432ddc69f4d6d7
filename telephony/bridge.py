"""Two calls joined: each side hears the other, keys pass through, and when one side hangs up
the other is hung up too. The fallback for a trunk that refuses blind transfer (REFER)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telephony.call import SipCall


async def bridge(caller: SipCall, agent: SipCall) -> None:
    """Carry audio and digits both ways until either call ends, then end the other."""
    presses: set[asyncio.Task[None]] = set()

    def relay_digit(to: SipCall) -> Callable[[str], None]:
        def press(digit: str) -> None:
            task = asyncio.ensure_future(to.rtp.send_digit(digit))
            presses.add(task)
            task.add_done_callback(presses.discard)

        return press

    caller.rtp.on_audio = agent.rtp.send
    agent.rtp.on_audio = caller.rtp.send
    caller.rtp.on_dtmf = relay_digit(agent)
    agent.rtp.on_dtmf = relay_digit(caller)
    waits = [asyncio.ensure_future(call.ended.wait()) for call in (caller, agent)]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [*waits, *presses]:
            task.cancel()
        for call in (caller, agent):
            call.rtp.on_audio = None
            call.rtp.on_dtmf = None
            await call.hangup("bridged party hung up")
