"""`hub serve`: the hub's HTTP service (FastAPI on uvicorn), built by `create_app(settings)`.

The app is assembled from routers, one line per area, so other areas (the service-window API) mount on the
same app next to the HTTP ingest. Domain errors are raised as `HubError` subclasses and mapped to HTTP
statuses in one handler here, never as ad-hoc HTTPExceptions in the routes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from connectors.formats import UnknownSourceError
from connectors.http_ingest import Ingestor, ingest_router
from hub.contract.errors import (
    BrokerUnavailableError,
    DeliveryError,
    HubError,
    IngestAuthError,
    IngestLimitError,
    RegistryUnavailableError,
    SchemaNotRegisteredError,
)
from hub.ops.errors import BadDeadLetterIdError, DeadLetterNotFoundError
from hub.ops.metrics import install as install_ops
from hub.ops.page import UnknownStaticFileError
from hub.settings import HubSettings

__all__ = ["ERROR_STATUS", "create_app"]

logger = logging.getLogger(__name__)

#: HTTP status of each domain error; the most specific class in an error's MRO wins.
ERROR_STATUS: dict[type[HubError], int] = {
    IngestAuthError: 401,
    UnknownSourceError: 404,
    IngestLimitError: 413,
    UnknownStaticFileError: 404,
    BadDeadLetterIdError: 400,
    DeadLetterNotFoundError: 404,
    DeliveryError: 503,
    BrokerUnavailableError: 503,
    RegistryUnavailableError: 503,
    SchemaNotRegisteredError: 503,
}


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((ERROR_STATUS[c] for c in type(exc).__mro__ if c in ERROR_STATUS), 500)
    if status >= 500:
        logger.warning("%s %s failed: %s", request.method, request.url.path, exc)
    headers = {"WWW-Authenticate": "X-Api-Key"} if status == 401 else None
    return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)


def create_app(settings: HubSettings, *, ingestor: Ingestor | None = None) -> FastAPI:
    """The hub's web app; `ingestor` lets tests share one producer and registry."""
    ingest = ingestor or Ingestor(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ingest.close()

    app = FastAPI(title="citizen-hub", lifespan=lifespan)
    app.state.settings = settings
    app.state.ingestor = ingest
    app.add_exception_handler(HubError, _hub_error)
    app.include_router(ingest_router())
    install_ops(app, settings)  # /metrics (OpenMetrics) and the /ops page: hub/ops/
    return app
