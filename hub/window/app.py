"""Mounting the window on the hub's FastAPI app (`hub serve`), next to the HTTP ingest router.

Why a `mount` function and not an app of its own: one process, one port, one OpenAPI document
for halls and departments (issue 12); the window brings its router, its error handler (problem+
json for `WindowError` only, so the ingest router's answers are untouched) and its state, and
closes what it opened at shutdown. `/healthz` and `/readyz` come with it until the app has its own.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from redis.asyncio import Redis

from hub.engine.policy import default_policy as resolution_policy
from hub.readmodel.store import RedisKeys
from hub.settings import HubSettings
from hub.window.audit import AuditLog, AuditSink, Spool
from hub.window.audit_topic import KafkaAuditSink
from hub.window.config import WindowSettings, window_settings
from hub.window.credentials import CredentialStore
from hub.window.fastpath import SEARCH_PATH, SearchFastPath
from hub.window.feedback_topic import KafkaFeedbackSink
from hub.window.page import page_router
from hub.window.problems import WindowError, window_error_handler
from hub.window.purposes import load_policy
from hub.window.ratelimit import RateLimiter
from hub.window.reader import ReadModel
from hub.window.reports import FeedbackSink, Reports
from hub.window.routes import window_router
from hub.window.service import Window
from hub.window.tracker import Tracker

logger = logging.getLogger(__name__)


def build_window(settings: HubSettings, *, redis: Redis | None = None, window: WindowSettings | None = None,
                 audit_sink: AuditSink | None = None, feedback_sink: FeedbackSink | None = None) -> Window:
    ws = window or window_settings(settings)
    sink = audit_sink if audit_sink is not None else KafkaAuditSink(settings)
    client = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    policy = load_policy(ws.purposes_file)
    secret = settings.citizen_id_key.get_secret_value().encode("utf-8")
    keys = RedisKeys(settings.processors.redis_prefix)
    authority = resolution_policy().authority
    reader = ReadModel(client, keys, secret)
    return Window(
        redis=client, reader=reader,
        credentials=CredentialStore(client, ws.redis_prefix, settings.city_code, policy,
                                    cache_s=ws.credential_cache_s, lean=reader.lean), policy=policy,
        audit=AuditLog(Spool(ws.spool_path()), sink, timeout_s=ws.audit_timeout_s, retry_s=ws.audit_retry_s),
        tracker=Tracker(client, ws.redis_prefix, ws.disclosures_kept, lean=reader.lean),
        reports=Reports(client, ws.redis_prefix, authority,
                        feedback_sink if feedback_sink is not None else KafkaFeedbackSink(settings)),
        limiter=RateLimiter(ws.rate_per_s, ws.rate_burst), settings=ws, city_code=settings.city_code,
        authority=authority,
    )


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the read model answers and the audit spool's folder is writable."""
        window: Window = request.app.state.window
        checks: dict[str, str] = {}
        try:
            await window.redis.ping()
            checks["read_model"] = "ok"
        except Exception as exc:  # any failure of the client means not ready
            checks["read_model"] = type(exc).__name__
        folder = Path(window.audit.spool.path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            checks["audit_spool"] = "ok" if folder.is_dir() else "missing"
        except OSError as exc:
            checks["audit_spool"] = type(exc).__name__
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    return router


def mount(app: FastAPI, settings: HubSettings, *, window: Window | None = None, health: bool = True,
          fast_path: bool = True) -> Window:
    """Add the window's routes, error handler and state to `app`; returns the window.

    `fast_path`: `GET /citizens` answered past FastAPI's routing (`hub.window.fastpath`); off only to
    compare the two ways in the tests."""
    built = window or build_window(settings)
    app.state.window = built
    app.add_exception_handler(WindowError, window_error_handler)
    router = window_router()
    app.include_router(router)
    if fast_path:  # labelled in route timings (scope["route"]) by the documented route, the router's own
        route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == SEARCH_PATH
                     and "GET" in (r.methods or ()))
        app.add_middleware(SearchFastPath, window=built, route=route)
        app.state.search_route = route  # and for the answer below ASGI (hub/api/fastproto.py)
    app.include_router(page_router())  # the hall page (/hall) and GET /window/me
    if health:
        app.include_router(health_router())
    return built


async def close(window: Window) -> None:
    """At shutdown (the app's lifespan, after uvicorn waited for the requests in flight): wait for the
    audit batch being written, forward what the spool holds if the sink takes it, flush the Kafka
    producers of the audit and feedback sinks, then close Redis."""
    forwarded = await window.audit.close()
    if forwarded:
        logger.info("audit spool forwarded at shutdown: %d event(s)", forwarded)
    for sink in (window.audit.sink, window.reports.sink):
        closer = getattr(sink, "close", None)
        if callable(closer):
            await asyncio.to_thread(closer)
    window.reader.close()
    await window.redis.aclose()  # type: ignore[attr-defined]
