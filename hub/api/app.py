"""`hub serve`: the hub's HTTP service (FastAPI on uvicorn), built by `create_app(settings)`.

The app is assembled from routers, one line per area, so other areas (the service-window API) mount on the
same app next to the HTTP ingest. Domain errors are raised as `HubError` subclasses and mapped to HTTP
statuses as RFC 9457 problem+json in one handler here, never as ad-hoc HTTPExceptions in the routes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from connectors.formats import UnknownSourceError
from connectors.http_ingest import Ingestor, ingest_router
from hub.api.context import DataFreshness, RequestContext
from hub.api.fastproto import SearchAnswer
from hub.api.logs import lean_log_records
from hub.contract.errors import (
    BrokerUnavailableError,
    DeliveryError,
    HubError,
    IngestAuthError,
    IngestBodyInvalidError,
    IngestLimitError,
    IngestMediaTypeError,
    RegistryUnavailableError,
    SchemaNotRegisteredError,
)
from hub.ops.errors import BadDeadLetterIdError, DeadLetterNotFoundError
from hub.ops.metrics import install as install_ops
from hub.ops.page import UnknownStaticFileError
from hub.readmodel.store import RedisKeys
from hub.runtime.gc_pause import settle_heap
from hub.settings import HubSettings, load_settings
from hub.window.app import close as close_window
from hub.window.app import mount as mount_window
from hub.window.problems import PROBLEM_BASE, PROBLEM_JSON
from hub.window.service import Window

__all__ = ["ERROR_STATUS", "create_app", "serve_app"]

logger = logging.getLogger(__name__)

#: HTTP status of each domain error; the most specific class in an error's MRO wins.
ERROR_STATUS: dict[type[HubError], int] = {
    IngestAuthError: 401,
    UnknownSourceError: 404,
    IngestLimitError: 413,
    IngestMediaTypeError: 415,
    IngestBodyInvalidError: 400,
    UnknownStaticFileError: 404,
    BadDeadLetterIdError: 400,
    DeadLetterNotFoundError: 404,
    DeliveryError: 503,
    BrokerUnavailableError: 503,
    RegistryUnavailableError: 503,
    SchemaNotRegisteredError: 503,
}


def _problem(request: Request, status: int, slug: str, detail: str, headers: dict[str, str] | None = None,
             **extra: Any) -> JSONResponse:
    """An RFC 9457 problem+json answer, the same shape the window's refusals have."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((ERROR_STATUS[c] for c in type(exc).__mro__ if c in ERROR_STATUS), 500)
    if status >= 500:
        logger.warning("%s %s failed: %s", request.method, request.url.path, exc)
    headers = {"WWW-Authenticate": "X-Api-Key"} if status == 401 else None
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__.removesuffix("Error")).lower()
    return _problem(request, status, slug, str(exc), headers)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """A parameter or body FastAPI could not read: which ones, never their values."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    where = sorted({".".join(str(part) for part in e.get("loc", ())) for e in errors})
    return _problem(request, 422, "invalid-request", f"invalid request: {', '.join(where) or 'unreadable'}")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with its traceback (masked, with the request id), answered as a problem too."""
    logger.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    request_id = getattr(request.state, "request_id", None)
    return _problem(request, 500, "internal-error", "internal error; quote the request id to operations",
                    {"X-Request-Id": request_id} if request_id else None,
                    **({"request_id": request_id} if request_id else {}))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (no such route, method not allowed) as problems too."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else "internal error"
    headers = getattr(exc, "headers", None)
    return _problem(request, status, "http-" + str(status), str(detail), headers)


def create_app(settings: HubSettings, *, ingestor: Ingestor | None = None, window: Window | None = None) -> FastAPI:
    """The hub's web app: department ingest and the service window (with /healthz and /readyz).

    `ingestor` and `window` let tests share one producer, registry and Redis client.
    """
    ingest = ingestor or Ingestor(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # graceful shutdown: uvicorn has stopped accepting and waited for the requests in flight;
        # the audit spool goes to Kafka if it takes it, then every producer is flushed
        logger.info("shutting down: flushing the audit spool and the Kafka producers")
        await close_window(app.state.window)
        await run_in_threadpool(ingest.close)
        logger.info("shut down")

    # FastAPI's native OpenTelemetry off: the hub's metrics are its own (/metrics, hub/ops), and with no
    # provider configured FastAPI still looked for one in os.environ on every request (2 % of an ID lookup)
    app = FastAPI(title="citizen-hub", lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.settings = settings
    app.state.ingestor = ingest
    app.add_exception_handler(HubError, _hub_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(ingest_router())
    mounted = mount_window(app, settings, window=window)
    install_ops(app, settings)  # /metrics (OpenMetrics) and the /ops page: hub/ops/
    # outermost: request id and data freshness on every answer (hub/api/context.py)
    freshness = DataFreshness(mounted.redis, RedisKeys(settings.processors.redis_prefix))
    app.add_middleware(RequestContext, freshness=freshness)
    route = getattr(app.state, "search_route", None)
    if route is not None:  # GET /citizens below ASGI when served by hub serve's protocol (hub/api/fastproto.py)
        app.state.search_answer = SearchAnswer(mounted, freshness, route, getattr(app.state, "route_latency", None),
                                               _unexpected)
    return app


def serve_app() -> FastAPI:
    """The app of `hub serve --workers N` (uvicorn imports it by name in each worker process)."""
    lean_log_records()
    app = create_app(load_settings())
    settle_heap()  # built: the heap left is not scanned again (hub/runtime/gc_pause.py)
    return app
