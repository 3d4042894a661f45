"""The department SDK: publish a department's records to the hub, validated and registry-framed.

A department's own system (and each of the hub's three connectors) uses it the same way::

    with DepartmentPublisher(settings, "health") as publisher:
        publisher.publish(record)          # a hub.contract.records model, or a mapping of its fields
        publisher.dead_letter("why", raw_bytes, RequestOrigin(request_id="..."))
        publisher.flush()                  # returns once Kafka acknowledged everything (acks=all)

`publish` wraps the record in the event envelope (deterministic event id, city code, UPSERT, the
department's update time, ingest time), frames it with the schema registry and produces it to
`dept.<source>.v1` keyed by the record key; `dead_letter` sends an unreadable row with its reason, raw
bytes and origin to `dlq.<source>.v1`. The producer is idempotent. Acknowledgements are counted per
`DeliveryTracker`, so a caller can wait for exactly its own messages (an HTTP request) or checkpoint
behind them (a file batch); `flush` waits for everything. Nothing here logs record contents.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer
from pydantic import ValidationError

from connectors.delivery import DeliveryTracker, delivery_timeout_s, make_producer, produce_patiently, wait_for
from hub.contract.errors import BadRecordError, DeliveryError
from hub.contract.records import RECORD_TYPES, DepartmentRecord
from hub.contract.sources import SOURCES, Source
from hub.settings import HubSettings
from hub.wire.dead_letters import context_headers
from hub.wire.events import EventEncoder
from hub.wire.registry_client import SchemaRegistry, shared_registry
from hub.wire.serde import TopicCodecs

__all__ = ["DepartmentPublisher", "FileOrigin", "KafkaOrigin", "Origin", "RequestOrigin"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileOrigin:
    """A row of a file: path, 1-based line, byte offset of its first byte."""

    path: str
    line: int
    byte_offset: int


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    """A pushed row (HTTP request id and row index) or a polled DB row (table and position)."""

    request_id: str


@dataclass(frozen=True, slots=True)
class KafkaOrigin:
    topic: str
    partition: int
    offset: int


Origin = FileOrigin | RequestOrigin | KafkaOrigin


def _origin_datum(origin: Origin) -> dict[str, Any]:
    if isinstance(origin, FileOrigin):
        return {"path": origin.path, "line": origin.line, "byte_offset": origin.byte_offset}
    if isinstance(origin, RequestOrigin):
        return {"request_id": origin.request_id}
    return {"topic": origin.topic, "partition": origin.partition, "offset": origin.offset}


class DepartmentPublisher:
    """Publishes one department's records and dead letters through an idempotent producer.

    `producer` and `registry` may be shared between publishers of several departments (the HTTP ingest
    does); a publisher closes only a producer it made itself.
    """

    def __init__(
        self,
        settings: HubSettings,
        source: Source,
        *,
        producer: Producer | None = None,
        registry: SchemaRegistry | None = None,
    ) -> None:
        if source not in SOURCES:
            raise BadRecordError(f"unknown department {source!r}; expected one of {', '.join(SOURCES)}")
        self.settings = settings
        self.source: Source = source
        self.model = RECORD_TYPES[source]
        self.registry = registry or shared_registry(settings)
        self.encoder = EventEncoder(settings, self.registry, source)
        self.topic = self.encoder.topic
        self.dlq_topic = settings.topics.dlq(source)
        self._dlq_value = TopicCodecs(settings, self.registry).serializer(self.dlq_topic, "value")
        self._dlq_value.schema_id  # noqa: B018 - fail now, not at the first bad row, if it is not registered
        self._own_producer = producer is None
        self.producer = producer or make_producer(settings)
        self.timeout_s = delivery_timeout_s(settings)
        self.tracker = DeliveryTracker()  # messages published without a tracker of their own

    # -- publishing ------------------------------------------------------------------------------

    def validate(self, record: DepartmentRecord | Mapping[str, Any]) -> DepartmentRecord:
        """The record as this department's model; BadRecordError names the field that does not fit."""
        if isinstance(record, self.model):
            return record
        if isinstance(record, DepartmentRecord):
            raise BadRecordError(f"a {record.source} record cannot be published as {self.source}", field="source")
        try:
            return self.model.model_validate({**record, "source": self.source})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "record"
            raise BadRecordError(f"field {where}: {first['msg']}", field=where) from None
        except TypeError:
            raise BadRecordError("a record must be a mapping of its fields") from None

    def publish(
        self,
        record: DepartmentRecord | Mapping[str, Any],
        *,
        tracker: DeliveryTracker | None = None,
        ingested_ms: int | None = None,
    ) -> str:
        """Produce the record's UPSERT event (not waiting for Kafka); returns its event id.

        Raises BadRecordError (not a valid record) or SchemaMismatchError (does not fit the Avro schema)
        before anything is produced, so the caller can dead-letter the row instead.
        """
        event = self.encoder.encode(self.validate(record), ingested_ms)
        produce_patiently(self.producer, self.timeout_s, self.topic, event.key, event.value, tracker or self.tracker)
        return event.event_id

    def dead_letter(
        self,
        reason: str,
        raw: bytes,
        origin: Origin,
        *,
        field: str | None = None,
        record_key: str | None = None,
        tracker: DeliveryTracker | None = None,
        connector: str = "sdk",
        error_class: str = "BadRecordError",
        replay_count: int = 0,
    ) -> None:
        """Send an unreadable row to dlq.<source>.v1 with why, its raw bytes and where it came from.

        The message carries Kafka Connect's context headers (`hub.wire.dead_letters`); `replay_count` says
        how many replays it has been through (`hub dlq replay` stops at `ops.replay_max`).
        """
        value = self._dlq_value(
            {
                "source": self.source,
                "city_code": self.settings.city_code,
                "reason": reason,
                "field": field,
                "record_key": record_key,
                "raw": bytes(raw),
                "origin": _origin_datum(origin),
                "failed_at": time.time_ns() // 1_000_000,
            }
        )
        key = self.encoder.key_bytes(record_key) if record_key else None
        headers = context_headers(connector=connector, stage="read", error_class=error_class, message=reason,
                                  replay_count=replay_count)
        produce_patiently(self.producer, self.timeout_s, self.dlq_topic, key, value, tracker or self.tracker,
                          headers)

    # -- acknowledgements ------------------------------------------------------------------------

    def poll(self, timeout_s: float = 0.0) -> int:
        """Serve delivery callbacks (cheap; call it every few thousand rows)."""
        return int(self.producer.poll(timeout_s))

    def wait(self, tracker: DeliveryTracker, what: str = "events") -> None:
        """Return once Kafka acknowledged every message of `tracker`; DeliveryError otherwise (bounded)."""
        wait_for(self.producer, tracker, self.timeout_s, what)

    def flush(self) -> None:
        """Wait for every message produced so far; DeliveryError if any failed or the timeout passed."""
        remaining = self.producer.flush(self.timeout_s)
        self.wait(self.tracker)
        self.tracker = DeliveryTracker()
        if remaining:
            raise DeliveryError(f"{remaining} messages were still unacknowledged after {self.timeout_s:g}s")

    def close(self) -> None:
        if self._own_producer:
            self.producer.flush(self.timeout_s)

    def __enter__(self) -> DepartmentPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
