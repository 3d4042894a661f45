"""`GET /citizens` answered below ASGI, in uvicorn's own HTTP protocol (`hub serve`).

Why: with the window's search itself lean, an ID lookup's CPU went largely to the layers around it:
uvicorn's ASGI task and proxy-header middleware, Starlette's error, body-limit and telemetry
middlewares, `RequestContext`, `TimedRoutes` and `SearchFastPath` each wrapping `send`, Starlette's
response, and two socket writes per answer (bench/window.py, py-spy). `WindowHttpProtocol` is
uvicorn's httptools protocol; a request it recognises — exactly `GET /citizens`, no proxy headers,
the app's own (not a 503 of `--limit-concurrency`) — runs `SearchAnswer.answer` as its task instead
of the ASGI app. Everything else goes to the app unchanged, and so do uvicorn's server lifecycle,
graceful shutdown, keep-alive, pipelining and limits (the request still has uvicorn's cycle).

The rule: the answer is the ASGI route's, byte for byte but the time, the date and fresh ids.
`answer` does what the middlewares did, in their order: the request id and `REQUEST_ID`
(`RequestContext`), the data freshness, the documented route and its timing (`TimedRoutes`), the
window's `search` with the same problem+json mapping (`window_error_handler`), X-Request-Id and
X-Data-As-Of stamped as `RequestContext` stamps them, an unexpected failure answered by the app's
500 handler; then uvicorn's own `send` writes the status line, headers and access line, gathered
into one socket write (the access line written straight to the hub's JSON handler when that handler
is where it goes, `hub.api.logs.access_line_of`: the same line without the logging machinery). The
audit guarantee is `search`'s own (`Window.access`): nothing is written before it returns.
tests/integration/window/test_fastproto.py compares both ways on a real server.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from fastapi import FastAPI
from prometheus_client import Histogram
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string
from uvicorn.server import ServerState

from hub.api.context import DataFreshness, sane_request_id
from hub.api.logs import REQUEST_ID, AccessLine, access_line_of
from hub.window.fastpath import SEARCH_PATH
from hub.window.problems import WindowError, window_error_handler
from hub.window.routes import search
from hub.window.service import Window

__all__ = ["SearchAnswer", "WindowHttpProtocol"]

#: Headers that make the ASGI route answer: uvicorn's proxy-header middleware rewrites the scope for them.
_PROXY_HEADERS: Final = frozenset((b"x-forwarded-for", b"x-forwarded-proto"))

Unexpected = Callable[[Request, Exception], Awaitable[Response]]


class _Gathered:
    """The connection's transport for one answer: uvicorn's writes of it gathered into one."""

    __slots__ = ("parts", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def flush(self) -> None:
        if self.parts:
            self.transport.write(b"".join(self.parts))
            self.parts = []

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


class SearchAnswer:
    """What `GET /citizens` needs below ASGI, built by `hub.api.app.create_app` (`app.state.search_answer`)."""

    def __init__(self, window: Window, freshness: DataFreshness | None, route: BaseRoute,
                 latency: Histogram | None, unexpected: Unexpected) -> None:
        self.window = window
        self.freshness = freshness
        self.route = route
        self.route_path: str = getattr(route, "path", SEARCH_PATH)
        self.latency = latency
        self.unexpected = unexpected

    async def answer(self, cycle: RequestResponseCycle, access: AccessLine | None = None) -> None:
        """Answer the cycle's request as the app's middlewares and route would (see the module); with
        `access`, uvicorn's access line is written by it (`hub.api.logs.access_line_of`)."""
        scope: dict[str, Any] = cycle.scope  # type: ignore[assignment]
        began = time.perf_counter()
        status = 500
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = sane_request_id(given)
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        try:
            as_of = await self.freshness.as_of() if self.freshness is not None else "unknown"
            scope["route"] = self.route
            request = Request(scope)
            try:
                try:
                    response = await search(self.window, request)
                except WindowError as exc:
                    response = await window_error_handler(request, exc)
                headers = MutableHeaders(raw=response.raw_headers)
                headers["X-Request-Id"] = request_id
                headers["X-Data-As-Of"] = as_of
            except Exception as exc:  # as Starlette's ServerErrorMiddleware: the app's 500 answer, unstamped
                response = await self.unexpected(request, exc)
            status = response.status_code
            await _send(cycle, status, response.raw_headers, bytes(response.body), access)
        except Exception as exc:  # as uvicorn's run_asgi: its 500, or the connection closed mid-answer
            cycle.logger.error("Exception in ASGI application\n", exc_info=exc)
            if not cycle.response_started:
                await cycle.send_500_response()
            else:
                cycle.transport.close()
        finally:
            REQUEST_ID.reset(token)
            if self.latency is not None:
                self.latency.labels(self.route_path, "GET", str(status)).observe(time.perf_counter() - began)
            cycle.on_response = lambda: None  # as uvicorn's run_asgi leaves it


async def _send(cycle: RequestResponseCycle, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
                access: AccessLine | None = None) -> None:
    """Through uvicorn's own `send` (status line, default headers, access line, keep-alive), one write;
    with `access`, the access line is written by it where uvicorn's `send` would log it."""
    if access is not None and cycle.access_log:
        if cycle.flow.write_paused and not cycle.disconnected:  # as uvicorn's send, before its line
            await cycle.flow.drain()
        if not cycle.disconnected:
            scope = cycle.scope
            access.write(get_client_addr(scope), scope["method"], get_path_with_query_string(scope),
                         scope["http_version"], status)
        cycle.access_log = False
    transport = cycle.transport
    gathered = _Gathered(transport)
    cycle.transport = gathered  # type: ignore[assignment]
    try:
        await cycle.send({"type": "http.response.start", "status": status, "headers": headers})
        await cycle.send({"type": "http.response.body", "body": body, "more_body": False})
    finally:
        cycle.transport = transport
        if not transport.is_closing():
            gathered.flush()


def search_answer_of(app: object) -> SearchAnswer | None:
    """The app's `SearchAnswer` when uvicorn serves the hub's app as is (behind its proxy-header middleware
    at most): another wrapper (uvicorn's trace logging) means the ASGI route answers."""
    if isinstance(app, ProxyHeadersMiddleware):
        app = app.app
    if not isinstance(app, FastAPI):
        return None
    found = getattr(app.state, "search_answer", None)
    return found if isinstance(found, SearchAnswer) else None


class WindowHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with `GET /citizens` answered by `SearchAnswer` (see the module)."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.search_answer = search_answer_of(self.app)
        # the hub's JSON handler written to directly, when it is where uvicorn's access line goes
        self.access_line = access_line_of(self.access_logger) if self.access_log else None

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        found = self.search_answer
        scope = cycle.scope
        if (found is None or app is not self.app or scope["method"] != "GET" or scope["path"] != SEARCH_PATH
                or any(name in _PROXY_HEADERS for name, _ in scope["headers"])):
            super()._start_asgi_task(cycle, app)
            return
        if self.config.reset_contextvars:  # as uvicorn does
            task = self.loop.create_task(found.answer(cycle, self.access_line), context=contextvars.Context())
        else:
            task = self.loop.create_task(found.answer(cycle, self.access_line))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)
