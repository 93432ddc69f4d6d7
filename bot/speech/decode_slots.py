"""The recogniser's decoders, shared by every call of a worker, final transcripts first.

A final transcript is what a caller waits for before the bot answers; an interim only keeps the
console's live transcript moving. With many callers speaking at once, interims decoded on a
timer crowded out the finals (issue 15: 8 turn ends within a second, p50 3.1 s). Here a final
takes the next free decoder, in the order the turns ended; an interim takes a decoder only if
one is free at that moment and no final is waiting — otherwise it is shed, not queued. A final
therefore waits only for the decodes already running and the finals ahead of it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.metrics import ASR_FINAL_WAIT, ASR_INTERIMS_SHED, ASR_QUEUE


class DecodeSlots:
    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def final(self) -> AsyncIterator[None]:
        """Hold a decoder for a final transcript, waiting in turn for one."""
        queued = time.perf_counter()
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            await self._wait_turn()
        ASR_FINAL_WAIT.observe(time.perf_counter() - queued)
        try:
            yield
        finally:
            self._release()

    async def _wait_turn(self) -> None:
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        ASR_QUEUE.inc()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # the decoder was handed over as the wait was cancelled
            else:
                self._waiting.remove(turn)
            raise
        finally:
            ASR_QUEUE.dec()

    @asynccontextmanager
    async def interim(self) -> AsyncIterator[bool]:
        """Hold a decoder for an interim transcript if one is free now and no final waits;
        yields whether it got one (False: shed)."""
        if self._free == 0 or self._waiting:
            ASR_INTERIMS_SHED.inc()
            yield False
            return
        self._free -= 1
        try:
            yield True
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the decoder goes straight to the next final
                return
        self._free += 1
