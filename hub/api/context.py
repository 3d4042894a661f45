"""Every answer of `hub serve` carries its request id and how fresh the data behind it is.

Why a plain ASGI middleware and not `@app.middleware("http")`: it runs on every request of the
window's hot path, and Starlette's BaseHTTPMiddleware costs a task and a stream per request.

- `X-Request-Id`: the caller's own when it is sane (1 to 64 of `A-Za-z0-9-_.`, so a hall's system
  can follow its request through the audit and the logs), else a new random one. It is put in
  `request.state.request_id` (the window's audit events and the ingest's dead letters use it) and
  in `hub.api.logs.REQUEST_ID` (every log line of the request carries it).
- `X-Data-As-Of`: when the processors last wrote the read model (`RedisKeys.written_at`, set in the
  same MULTI/EXEC as every batch, `hub.readmodel.store.write_batch`), in RFC 3339 UTC, or `unknown`
  before the first batch or when Redis cannot tell. The processors being down shows as an old
  time, not as an error: lookups keep answering from what Redis holds. The value is read at most
  once per `ttl_s` (one GET a second, not one per request).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Final

from redis.asyncio import Redis
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.logs import REQUEST_ID
from hub.readmodel.store import RedisKeys
from hub.window.ids import random_hex

__all__ = ["DataFreshness", "RequestContext", "sane_request_id"]

logger = logging.getLogger(__name__)

_REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9\-_.]{1,64}")
UNKNOWN: Final = "unknown"


def sane_request_id(raw: bytes | None) -> str:
    """The caller's request id if it is sane, else a new one."""
    if raw:
        try:
            text = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            text = ""
        if _REQUEST_ID_RE.fullmatch(text):
            return text
    return random_hex()


class DataFreshness:
    """The read model's last write time, cached for `ttl_s`."""

    def __init__(self, redis: Redis, keys: RedisKeys, *, ttl_s: float = 1.0, timeout_s: float = 0.25) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.value = UNKNOWN
        self._read_at = float("-inf")
        self._refreshing: asyncio.Task[None] | None = None

    async def as_of(self) -> str:
        now = time.monotonic()
        if now - self._read_at >= self.ttl_s:
            self._read_at = now  # one refresh at a time; the others answer with the last value
            if self._refreshing is None or self._refreshing.done():
                self._refreshing = asyncio.create_task(self._refresh())
            await asyncio.wait({self._refreshing}, timeout=self.timeout_s)
        return self.value

    async def _refresh(self) -> None:
        try:
            raw = await self.redis.get(self.keys.written_at)
        except Exception as exc:  # Redis down: keep saying what was last known
            logger.debug("read model write time not read: %s", type(exc).__name__)
            return
        self.value = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw or UNKNOWN)


class RequestContext:
    """ASGI middleware: request id in, request id and data freshness out, on every HTTP answer."""

    def __init__(self, app: ASGIApp, freshness: DataFreshness | None = None) -> None:
        self.app = app
        self.freshness = freshness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = sane_request_id(given)
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        as_of = await self.freshness.as_of() if self.freshness is not None else UNKNOWN

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                headers["X-Data-As-Of"] = as_of
            await send(message)

        try:
            await self.app(scope, receive, stamped)
        finally:
            REQUEST_ID.reset(token)
