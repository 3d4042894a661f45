"""HTTP ingest: `POST /ingest/{source}`, a department system pushes one row or a batch of rows as JSON.

A row is a JSON object keyed by the department's own column names (tax: its JSON keys) with the values as
the department writes them, text for the CSV departments; it is read by the same `parse_row` as a file row.
The answer lists every row as accepted (with its event id) or rejected (with the reason); rejected rows
also go to dlq.<source>.v1 with the request id. The call returns only after Kafka acknowledged every event
and dead letter of the request (acks=all), so an accepted row is durable when the department sees it;
otherwise it answers 503 and the department pushes again (same rows → same event ids, harmless).

Authentication: header `X-Api-Key` must equal the department's key in `settings.connectors.ingest_keys`
(401 otherwise, checked before the body is looked at). Nothing of a row's content is logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from connectors.delivery import DeliveryTracker, make_producer
from connectors.formats import UnknownSourceError, parse_row
from connectors.formats.dialects import DIALECTS
from connectors.http_body import read_capped
from connectors.sdk import DepartmentPublisher, RequestOrigin
from hub.contract.errors import (
    BadRecordError,
    IngestAuthError,
    IngestBodyInvalidError,
    IngestBodyTooLargeError,
    IngestLimitError,
    IngestMediaTypeError,
    SchemaMismatchError,
)
from hub.contract.sources import SOURCES, Source
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry

__all__ = ["IngestResponse", "Ingestor", "RowOutcome", "ingest_router"]

logger = logging.getLogger(__name__)


class RowOutcome(BaseModel):
    index: int
    status: Literal["accepted", "rejected"]
    event_id: str | None = None
    reason: str | None = None
    field: str | None = None


class IngestResponse(BaseModel):
    source: str
    request_id: str
    accepted: int
    rejected: int
    rows: list[RowOutcome]


class Ingestor:
    """Publishers for the departments that push, sharing one idempotent producer."""

    def __init__(self, settings: HubSettings, *, registry: SchemaRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry
        self.producer = make_producer(settings)
        self._publishers: dict[str, DepartmentPublisher] = {}
        self._lock = threading.Lock()

    def publisher(self, source: Source) -> DepartmentPublisher:
        with self._lock:
            if source not in self._publishers:
                self._publishers[source] = DepartmentPublisher(
                    self.settings, source, producer=self.producer, registry=self.registry
                )
            return self._publishers[source]

    def authenticate(self, source: str, api_key: str | None) -> Source:
        """The department, if the key is its key; UnknownSourceError or IngestAuthError otherwise."""
        if source not in SOURCES:
            raise UnknownSourceError(f"no department {source!r}; expected one of {', '.join(SOURCES)}")
        expected = self.settings.connectors.ingest_keys.get(source)
        if api_key is None:
            raise IngestAuthError("missing X-Api-Key header")
        if expected is None or not hmac.compare_digest(
            api_key.encode("utf-8"), expected.get_secret_value().encode("utf-8")
        ):
            raise IngestAuthError(f"X-Api-Key is not the key of {source}")
        return source  # narrowed by the check against SOURCES above

    def ingest(self, source: Source, body: Any, request_id: str) -> IngestResponse:
        """Validate, publish and dead-letter the pushed rows; return once Kafka acknowledged all of them."""
        rows = body if isinstance(body, list) else [body]
        limit = self.settings.connectors.ingest_max_rows
        if len(rows) > limit:
            raise IngestLimitError(f"{len(rows)} rows in one push; at most {limit}")
        publisher = self.publisher(source)
        key_column = DIALECTS[source].required[0]
        tracker = DeliveryTracker()
        outcomes: list[RowOutcome] = []
        for index, row in enumerate(rows):
            try:
                if not isinstance(row, dict):
                    raise BadRecordError(f"row {index} is a JSON {type(row).__name__}, not an object")
                event_id = publisher.publish(parse_row(source, row), tracker=tracker)
                outcomes.append(RowOutcome(index=index, status="accepted", event_id=event_id))
            except (BadRecordError, SchemaMismatchError) as exc:
                field = exc.field if isinstance(exc, BadRecordError) else None
                reason = exc.reason if isinstance(exc, BadRecordError) else str(exc)
                key = row.get(key_column) if isinstance(row, dict) else None
                publisher.dead_letter(
                    reason,
                    json.dumps(row, ensure_ascii=False).encode("utf-8"),
                    RequestOrigin(f"{request_id}#{index}"),
                    field=field,
                    record_key=key.strip() or None if isinstance(key, str) else None,
                    tracker=tracker,
                    connector="http",
                    error_class=type(exc).__name__,
                )
                outcomes.append(RowOutcome(index=index, status="rejected", reason=reason, field=field))
        publisher.wait(tracker, f"rows of push {request_id}")
        accepted = sum(o.status == "accepted" for o in outcomes)
        logger.info("push %s to %s: %d accepted, %d rejected", request_id, source, accepted, len(outcomes) - accepted)
        return IngestResponse(
            source=source, request_id=request_id, accepted=accepted, rejected=len(outcomes) - accepted, rows=outcomes
        )

    def close(self) -> None:
        self.producer.flush(self.settings.request_timeout_s)


#: The body a push carries, for the OpenAPI document (the route reads the bytes itself, see `read_json_body`).
_JSON_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}}}}


async def read_json_body(request: Request, limit: int) -> Any:
    """The push's JSON, read with a size cap before any parsing.

    A CSV or binary body, a body over `limit` bytes and text that is not strict JSON (orjson refuses
    invalid UTF-8 and lone surrogate escapes, which no department record can hold) are refused as a
    whole with a 4xx: nothing of such a push reaches Kafka, so nothing is half-published.
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise IngestMediaTypeError(f"a push is JSON (Content-Type: application/json), not {media_type or 'untyped'}")
    received = await read_capped(request, limit)
    if received is None:
        raise IngestBodyTooLargeError(f"a push is at most {limit} bytes: split it")
    try:
        return orjson.loads(received)
    except orjson.JSONDecodeError as exc:
        raise IngestBodyInvalidError(f"the body is not valid JSON: {exc}") from None


def _ingestor(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.ingestor
    return ingestor


IngestorDep = Annotated[Ingestor, Depends(_ingestor)]


def _authenticated_source(
    source: str, ingestor: IngestorDep, x_api_key: Annotated[str | None, Header()] = None
) -> Source:
    return ingestor.authenticate(source, x_api_key)


def ingest_router() -> APIRouter:
    """The ingest endpoints; the app factory (`hub.api.app.create_app`) mounts them."""
    router = APIRouter(prefix="/ingest", tags=["ingest"])

    @router.post("/{source}", response_model=IngestResponse, openapi_extra=_JSON_BODY)
    async def ingest(
        source: Annotated[Source, Depends(_authenticated_source)],
        ingestor: IngestorDep,
        request: Request,
        response: Response,
    ) -> IngestResponse:
        """Publish one row (a JSON object) or a batch (an array of objects); per-row outcome."""
        body = await read_json_body(request, ingestor.settings.connectors.ingest_max_body_bytes)
        # hub.api.context.RequestContext chose it (the department's own X-Request-Id if sane)
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        return await run_in_threadpool(ingestor.ingest, source, body, request_id)

    return router
