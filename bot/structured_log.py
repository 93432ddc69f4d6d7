"""How the bot logs: one JSON line per event on stderr, with the call id where the event
belongs to a call (`call_context`), and phone and ID numbers masked. The standard library's
loggers (telephony, aiortc, uvicorn) go through the same sink."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from loguru import logger

from bot.privacy import mask_numbers

if TYPE_CHECKING:
    from loguru import Message


def _write(message: Message) -> None:
    record = message.record
    extra = record["extra"]
    entry: dict[str, object] = {
        "at": record["time"].isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "logger": extra.get("logger", record["name"]),
        "event": mask_numbers(record["message"]),
    }
    if "call_id" in extra:
        entry["call_id"] = extra["call_id"]
    if record["exception"] is not None:
        entry["error"] = mask_numbers(repr(record["exception"].value))
    sys.stderr.write(json.dumps(entry, ensure_ascii=False) + "\n")


class _ToLoguru(logging.Handler):
    """Standard-library records into the same sink (inside a call, with its id)."""

    def emit(self, record: logging.LogRecord) -> None:
        level: str | int = record.levelname
        if record.levelname not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            level = record.levelno
        logger.bind(logger=record.name).opt(exception=record.exc_info).log(
            level, record.getMessage()
        )


def configure_logging(level: str = "INFO") -> None:
    """Replace loguru's default sink (pipecat's frame-by-frame debug lines included) and the
    standard library's handlers with the structured, masked sink."""
    logger.remove()
    logger.add(_write, level=level)
    logging.basicConfig(handlers=[_ToLoguru()], level=logging.WARNING, force=True)
    logging.getLogger("telephony").setLevel(logging.INFO)


def call_context(call_id: str) -> AbstractContextManager[None]:
    """Every event logged inside (tasks started inside included) carries `call_id`."""
    return logger.contextualize(call_id=call_id)
