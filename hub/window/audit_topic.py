"""The audit chain on Kafka: sealed events to `audit.access.v1`, and read back for `hub audit verify`.

Why Kafka and not only the local spool: the audit must outlive the window's host and be read by the
people who hold halls to account, not by the process being audited. Each event is written with the
chain as its key, so one chain stays in one partition, in order; the value is Avro (schema
`audit_access` v2) with the searchable fields and `sealed_json`, the event exactly as it was hashed,
which is what verification checks. A producer that cannot deliver within the audit timeout raises,
and the window's `AuditLog` spools the event instead (fail closed if it can do neither).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from connectors.delivery import make_producer
from hub.contract.errors import HubError
from hub.settings import HubSettings
from hub.window.audit import AuditSinkError, SealedEvent, canonical_json
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import Deserializer, TopicCodecs

__all__ = ["KafkaAuditSink", "audit_record", "read_audit_topic"]

#: The lookups of the window, as the schema's LookupKind names them.
_LOOKUP_KINDS = {
    "id_number": "RESIDENT_ID",
    "name_birth_date": "NAME_BIRTH_DATE",
    "phone": "PHONE",
    "address": "ADDRESS",
    "citizen_id": "MASTER_ID",
    "organization": "ORGANIZATION",
    "disclosures": "DISCLOSURES",
    "report": "REPORT",
}
_OUTCOMES = {"answered": "ALLOWED", "refused": "DENIED", "not_found": "NOT_FOUND", "error": "ERROR"}


def audit_record(event: SealedEvent) -> dict[str, Any]:
    """The Avro datum of a sealed event (schema `audit_access`, latest version)."""
    fields = event.model_dump(mode="json")
    shown_full = sorted({f for modes in event.disclosed.values() for f, mode in modes.items() if mode == "full"})
    shown_other = sorted({f for modes in event.disclosed.values() for f, mode in modes.items() if mode != "full"})
    return {
        "event_id": event.event_id,
        "request_id": event.request_id,
        "city_code": event.city_code,
        "hall_id": event.hall or event.credential_id or "",
        "operator_id": event.operator,
        "purpose": event.purpose or "",
        "lookup_kind": _LOOKUP_KINDS.get(event.lookup, "OTHER"),
        "query_fingerprint": orjson.dumps(event.query, option=orjson.OPT_SORT_KEYS).decode() if event.query else None,
        "master_ids_read": list(event.citizens),
        "fields_read": shown_full,
        "fields_masked": shown_other,
        "outcome": _OUTCOMES[event.outcome],
        "reason": event.reason,
        "occurred_at": event.occurred_at,
        "credential_id": event.credential_id,
        "case_id": event.case_id,
        "http_method": event.method,
        "http_path": event.path,
        "http_status": event.status,
        "disclosed": {cid: dict(modes) for cid, modes in event.disclosed.items()},
        "chain": event.chain,
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "sealed_json": canonical_json(fields).decode("utf-8"),
    }


class KafkaAuditSink:
    """Writes sealed events to the audit topic and returns once the broker acknowledged all of them."""

    def __init__(self, settings: HubSettings, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None) -> None:
        self.settings = settings
        self.topic = settings.topics.audit
        self._producer = producer
        self._registry = registry
        self._codecs: TopicCodecs | None = None
        self._lock = threading.Lock()

    def _ready(self) -> tuple[Producer, TopicCodecs]:
        with self._lock:
            if self._producer is None:
                self._producer = make_producer(self.settings, **{"linger.ms": 2})
            if self._codecs is None:
                registry = self._registry or SchemaRegistry.from_settings(self.settings)
                self._codecs = TopicCodecs(self.settings, registry, precheck=False)
            return self._producer, self._codecs

    async def send(self, events: Sequence[SealedEvent]) -> None:
        await asyncio.to_thread(self._send, events)

    def _send(self, events: Sequence[SealedEvent]) -> None:
        try:
            producer, codecs = self._ready()
            encode = codecs.serializer(self.topic)
            values = [(e.chain.encode("utf-8"), encode(audit_record(e))) for e in events]
        except (HubError, KafkaException, OSError) as exc:
            raise AuditSinkError(f"audit events not encodable for Kafka: {exc}") from exc
        failures: list[str] = []

        def delivered(error: KafkaError | None, _message: Any) -> None:
            if error is not None:
                failures.append(str(error))

        try:
            for key, value in values:
                producer.produce(self.topic, value=value, key=key, on_delivery=delivered)
        except (KafkaException, BufferError) as exc:
            raise AuditSinkError(f"audit events not queued for Kafka: {exc}") from exc
        left = producer.flush(self.settings.window.audit_timeout_s)
        if left or failures:
            raise AuditSinkError(f"Kafka did not acknowledge {left or len(failures)} audit event(s)")

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(self.settings.request_timeout_s)


def read_audit_topic(settings: HubSettings, *, registry: SchemaRegistry | None = None) -> Iterator[dict[str, Any]]:
    """Every sealed event on the audit topic, partition by partition in offset order (a chain lives in
    one partition, so each chain comes in the order it was written)."""
    deserializer = Deserializer(registry or SchemaRegistry.from_settings(settings))
    consumer = Consumer({**settings.kafka_client_config(), "group.id": "hub.audit.verify",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "socket.timeout.ms": int(settings.request_timeout_s * 1000)})
    try:
        metadata = consumer.list_topics(settings.topics.audit, timeout=settings.request_timeout_s)
        topic = metadata.topics.get(settings.topics.audit)
        if topic is None or topic.error is not None:
            raise AuditSinkError(f"the audit topic {settings.topics.audit} cannot be read")
        for partition in sorted(topic.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(settings.topics.audit, partition),
                                                       timeout=settings.request_timeout_s)
            if high <= low:
                continue
            consumer.assign([TopicPartition(settings.topics.audit, partition, low)])
            position = low
            while position < high:
                message = consumer.poll(settings.request_timeout_s)
                if message is None:
                    raise AuditSinkError(f"the audit topic stopped answering at partition {partition}")
                if message.error() is not None:
                    raise AuditSinkError(f"audit topic partition {partition}: {message.error()}")
                offset = message.offset()
                position = (position if offset is None else offset) + 1
                value = deserializer(message.value())
                sealed = value.get("sealed_json") if isinstance(value, dict) else None
                try:
                    row = orjson.loads(sealed) if sealed else {}
                except orjson.JSONDecodeError:
                    row = {}
                yield row if isinstance(row, dict) else {}
    except KafkaException as exc:
        raise AuditSinkError(f"the audit topic cannot be read: {exc}") from exc
    finally:
        consumer.close()
