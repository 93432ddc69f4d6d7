"""Caller turns before background writing on one LLM.

The embedded llama.cpp answers one request at a time. A work-order summary (seconds of
generation) sent just before a caller's turn made that turn wait behind it and run out of its
latency budget. Background work therefore starts only while no caller turn is in flight, and
streams, so that the embedded server interrupts it at its next token when a turn arrives
(llama-cpp-python's `interrupt_requests`); the interrupted work is sent again once the turn
is answered. It starts only after a quiet moment since the last turn: a prompt being read
cannot be interrupted (≈ 3 s for a summary on 2 cores), and a caller's next turn often follows
the last within a second or two (a short answer, a bench without pauses).
"""

from __future__ import annotations

import asyncio
import time

# How long after the last caller request background work may start.
QUIET_S = 2.0


class CallerFirst:
    """Counts caller requests in flight; background work waits for none."""

    def __init__(self, quiet_s: float = QUIET_S) -> None:
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._quiet_s = quiet_s
        self._last_finished = float("-inf")

    def caller_started(self) -> None:
        self._in_flight += 1
        self._idle.clear()

    def caller_finished(self) -> None:
        self._in_flight -= 1
        self._last_finished = time.monotonic()
        if self._in_flight == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no caller turn has waited on the LLM for `quiet_s`."""
        while True:
            await self._idle.wait()
            quiet_for = time.monotonic() - self._last_finished
            if quiet_for >= self._quiet_s:
                return
            await asyncio.sleep(self._quiet_s - quiet_for)
