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
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from confluent_kafka import Producer

from hub.contract.errors import DeliveryError
from hub.settings import HubSettings
from hub.window.audit import AuditSinkError, SealedEvent
from hub.window.topic_writer import TopicWriter
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import Deserializer
from hub.wire.topic_reader import TopicReadError, read_whole_topic

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
        "sealed_json": event.sealed_json().decode("utf-8"),
    }


class KafkaAuditSink:
    """Writes sealed events to the audit topic and returns once the broker acknowledged all of them."""

    def __init__(self, settings: HubSettings, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None) -> None:
        self.writer = TopicWriter(settings, settings.topics.audit, producer=producer, registry=registry)

    async def send(self, events: Sequence[SealedEvent]) -> None:
        try:
            await asyncio.to_thread(self._write, events)
        except DeliveryError as exc:
            raise AuditSinkError(str(exc)) from exc

    def _write(self, events: Sequence[SealedEvent]) -> None:
        """On the writer's thread: the Avro datums are built there too, off the event loop."""
        self.writer.write([(e.chain.encode("utf-8"), audit_record(e)) for e in events])

    def close(self) -> None:
        self.writer.close()


def read_audit_topic(settings: HubSettings, *, registry: SchemaRegistry | None = None) -> Iterator[dict[str, Any]]:
    """Every sealed event on the audit topic, partition by partition in offset order (a chain lives in
    one partition, so each chain comes in the order it was written)."""
    deserializer = Deserializer(registry or SchemaRegistry.from_settings(settings))
    try:
        for raw in read_whole_topic(settings, settings.topics.audit, "hub.audit.verify"):
            value = deserializer(raw)
            sealed = value.get("sealed_json") if isinstance(value, dict) else None
            try:
                row = orjson.loads(sealed) if sealed else {}
            except orjson.JSONDecodeError:
                row = {}
            yield row if isinstance(row, dict) else {}
    except TopicReadError as exc:
        raise AuditSinkError(f"the audit topic cannot be read: {exc}") from exc
