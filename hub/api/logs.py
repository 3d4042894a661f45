"""Structured logs of `hub serve`: one JSON object a line, never a resident ID or a phone in clear.

Why JSON lines: a hall's complaint comes with the request id its answer carried (`X-Request-Id`),
and operations find every line of that request by one field in the log store, without a parser
per message format. Why a filter on the handler and not care in each call: personal data reaches
log lines by routes nobody reviewed (an exception's text, uvicorn's access line with a query
string, a library's warning); `MaskPersonalData` masks 15/18-digit resident IDs and 11-digit
mobiles in every record (message, arguments and traceback) with the window's receipt rules
(ID → first 6 + last 4, phone → first 3 + last 4) before any handler writes it.

The request id of the request being served lives in `REQUEST_ID` (a context variable set by
`hub.api.context.RequestContext`), so every line logged while serving a request carries it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from hub.window.masking import mask_id, mask_phone

__all__ = ["REQUEST_ID", "AccessLine", "JsonFormatter", "MaskPersonalData", "access_line_of", "lean_log_records",
           "log_config", "mask_personal"]

REQUEST_ID: ContextVar[str | None] = ContextVar("hub_request_id", default=None)

#: An 18-digit resident ID (last character a check digit, X allowed) or a 15-digit one, not part of a
#: longer number (a 19-digit timestamp in ns is left alone).
_ID_RE: Final = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
#: A mainland mobile (1[3-9] + 9 digits), with an optional +86 / 86 prefix, not part of a longer number.
_MOBILE_RE: Final = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9]{9})(?![0-9])")


def mask_personal(text: str) -> str:
    """`text` with every resident ID and mobile number masked (IDs first: a mobile is never inside one)."""
    if not any(c.isdigit() for c in text):
        return text
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: mask_phone(m.group(1)), text)


class MaskPersonalData(logging.Filter):
    """Masks IDs and mobiles in a record's final message and traceback; adds the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = mask_personal(message), None
        record.hub_masked = True  # JsonFormatter need not mask the message again
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ms), level, logger, message, request_id (+ exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_ms(record.created),
            "level": record.levelname,
            "logger": record.name,
            # masked here too when a handler lacks the filter (the filter's two regex passes were a fifth of
            # an access line's cost: not twice)
            "message": record.getMessage() if getattr(record, "hub_masked", False) else mask_personal(
                record.getMessage()),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = mask_personal(record.exc_text)
        return orjson.dumps(line).decode("utf-8")


#: the last second `_utc_ms` formatted, and its text up to the seconds
_LAST_SECOND: list[Any] = [None, ""]


def _utc_ms(created: float) -> str:
    """`created` as `datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")` with Z:
    rounded to the microsecond half-even as datetime rounds, then cut to the millisecond; the text of
    the second made once a second (datetime's formatting was a quarter of an access line's cost)."""
    second = math.floor(created)
    micro = round((created - second) * 1_000_000)
    if micro >= 1_000_000:
        second, micro = second + 1, micro - 1_000_000
    last = _LAST_SECOND
    if last[0] != second:
        last[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        last[0] = second
    return f"{last[1]}.{micro // 1000:03d}Z"


class AccessLine:
    """uvicorn's access line written straight to the hub's one JSON handler: the line `JsonFormatter`
    writes for uvicorn's `logger.info` (same fields, same masking), without a LogRecord, the logger
    chain, the filter and the formatter (about a sixteenth of an ID lookup's CPU in bench/window.py).
    Built only where that handler is the only place the line goes (`access_line_of`)."""

    __slots__ = ("handler", "stream")

    def __init__(self, handler: logging.StreamHandler[Any]) -> None:
        self.handler = handler
        self.stream = handler.stream

    def write(self, client: str, method: str, path_with_query: str, http_version: str, status: int) -> None:
        """The line of `'%s - "%s %s HTTP/%s" %d'`, as `logging.StreamHandler.emit` writes it (its lock,
        its terminator, a flush; an error goes to `handleError`)."""
        message = mask_personal(f'{client} - "{method} {path_with_query} HTTP/{http_version}" {status}')
        line = orjson.dumps({"time": _utc_ms(time.time()), "level": "INFO", "logger": "uvicorn.access",
                             "message": message, "request_id": REQUEST_ID.get()}).decode("utf-8")
        handler = self.handler
        with handler.lock:  # type: ignore[union-attr]  # a StreamHandler's lock is created in __init__
            try:
                self.stream.write(line + handler.terminator)
                handler.flush()
            except Exception:  # as Handler.emit: logging never fails a request
                handler.handleError(logging.makeLogRecord({"msg": message, "name": "uvicorn.access"}))


def access_line_of(logger: logging.Logger) -> AccessLine | None:
    """An `AccessLine` when every INFO record of `logger` reaches exactly one handler, a stream handler
    of `log_config` (`JsonFormatter`, `MaskPersonalData` its only filter, level INFO or lower) and
    nothing else: no filter or disabled logger on the way. Otherwise None: the caller logs as uvicorn does."""
    if not logger.isEnabledFor(logging.INFO):
        return None
    handlers: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters or current.disabled:
            return None
        handlers.extend(current.handlers)
        if not current.propagate:
            break
        current = current.parent
    if len(handlers) != 1:
        return None
    handler = handlers[0]
    if (type(handler) is not logging.StreamHandler or type(handler.formatter) is not JsonFormatter
            or handler.level > logging.INFO or len(handler.filters) != 1
            or type(handler.filters[0]) is not MaskPersonalData or handler.lock is None):
        return None
    return AccessLine(handler)


def lean_log_records() -> None:
    """Records without what no handler of `hub serve` writes: the caller's file, function and line (a
    stack walk a record), thread, process and multiprocessing names (the logging HOWTO's
    "Optimization"). About 8 µs of the 40 an access line costs; once per process, before serving."""
    logging._srcfile = None  # documented switch, private by name
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def log_config(level: str = "INFO", *, access_log: bool = True) -> dict[str, Any]:
    """The `logging.config.dictConfig` of `hub serve` (handed to uvicorn as its `log_config`):
    every logger, uvicorn's own included, through one masked JSON handler on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": MaskPersonalData}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                              "formatter": "json", "filters": ["mask"]}},
        "root": {"handlers": ["json"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level if access_log else "WARNING", "propagate": True},
        },
    }
