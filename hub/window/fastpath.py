"""`GET /citizens` straight to the window's search, past FastAPI's routing and dependency machinery.

Why: an ID lookup is the window's hottest request, and FastAPI's per-request machinery (the router
trying routes, the route's request/response wrappers, dependency solving, its exception and exit-stack
middlewares) was a sixth of its CPU under bench/window.py. This ASGI middleware answers exactly
`GET /citizens` with the same function the documented route calls (`hub.window.routes.search`) and
the same problem+json mapping (`window_error_handler`), and passes every other request on. It sits
inside the app's outer middlewares (request id and freshness, `hub.api.context`; route timings,
`hub.ops.metrics`, which it labels with the documented route), and any other exception rises to the
app's outermost handler as it would from the route. The route stays in the app and in /openapi.json.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.window.problems import WindowError, window_error_handler
from hub.window.routes import search
from hub.window.service import Window

__all__ = ["SEARCH_PATH", "SearchFastPath"]

SEARCH_PATH = "/citizens"


class SearchFastPath:
    """ASGI middleware: `GET /citizens` answered by `search`, everything else by the app."""

    def __init__(self, app: ASGIApp, window: Window, route: BaseRoute) -> None:
        self.app = app
        self.window = window
        self.route = route  # the documented route, for whatever labels requests by `scope["route"]`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != SEARCH_PATH:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        request = Request(scope, receive)
        try:
            response = await search(self.window, request)
        except WindowError as exc:
            response = await window_error_handler(request, exc)
        await response(scope, receive, send)
