"""Keeps one call's record in memory and mirrors it to Redis without ever blocking the call.

Every change marks the record dirty; a writer task saves the whole document. If Redis is
down the writer retries, so once it is back nothing said on the call is missing.
"""

from __future__ import annotations

import asyncio
import time

from loguru import logger

from bot.calls.record import CallRecord
from bot.calls.store import CallStore
from bot.redis_guard import StoreUnavailable

RETRY_S = 1.0
FINAL_FLUSH_S = 15.0


class CallLog:
    def __init__(self, record: CallRecord, store: CallStore) -> None:
        self.record = record
        self._store = store
        self._dirty = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.record.ended_at = None  # a record continued after a failed transfer is live again
        self._dirty.set()
        self._writer = asyncio.create_task(self._write_loop(), name=f"call-log-{self.record.id}")

    def changed(self) -> None:
        self._dirty.set()

    async def _save(self) -> bool:
        try:
            await self._store.save(self.record)
            return True
        except StoreUnavailable as exc:
            logger.warning(f"call {self.record.id}: record not saved yet, will retry: {exc}")
            return False

    async def _write_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not await self._save():
                self._dirty.set()
                await asyncio.sleep(RETRY_S)

    async def close(self) -> None:
        """Mark the call ended and make sure the final record reaches Redis."""
        self.record.ended_at = time.time()
        self.record.interim = None
        if self._writer is not None:
            self._writer.cancel()
        deadline = time.monotonic() + FINAL_FLUSH_S
        while not await self._save():
            if time.monotonic() > deadline:
                logger.error(f"call {self.record.id}: final record could not be saved to Redis")
                return
            await asyncio.sleep(RETRY_S)
