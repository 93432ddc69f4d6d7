"""Caller turns before background writing on one LLM.

The embedded llama.cpp answers one request at a time. A work-order summary (seconds of
generation) sent just before a caller's turn made that turn wait behind it and run out of its
latency budget. Background work therefore starts only while no caller turn is in flight, and
streams, so that the embedded server interrupts it at its next token when a turn arrives
(llama-cpp-python's `interrupt_requests`); the interrupted work is sent again once the turn
is answered.
"""

from __future__ import annotations

import asyncio


class CallerFirst:
    """Counts caller requests in flight; background work waits for none."""

    def __init__(self) -> None:
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def caller_started(self) -> None:
        self._in_flight += 1
        self._idle.clear()

    def caller_finished(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no caller turn is waiting on the LLM."""
        await self._idle.wait()
