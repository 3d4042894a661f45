"""Department records as registry-framed Avro event bytes, fast enough for bulk files, with deterministic ids.

`hub.wire.serde.Serializer` checks every datum field by field in Python, which costs more than parsing the row;
here the schema ids are looked up once, a writer compiled from the schema (`hub.wire.avro_writer`,
byte-identical to fastavro and several times faster; fastavro itself for schemas it cannot compile) writes
the record straight from the validated pydantic model, and the field-naming check runs only when a datum
is refused (to say which field, never its value).

The value is written in two parts whose concatenation is exactly the Avro encoding of the event: the
envelope fields, then the `record` field (Avro writes a record as its fields in order, and `record` is the
last one). The record's bytes are thus available on their own, and their SHA-256 is the content hash in
the event id::

    event_id = uuid5(EVENT_ID_NAMESPACE, source ␟ record key ␟ update time (epoch ms) ␟ sha256(record Avro))

The same department row therefore always gets the same event id, whichever connector reads it and however
often (a re-sent row after a crash, a file dropped twice, a DB row polled again): downstream, a duplicate is
recognisable and harmless. A new version of a record (new update time or content) gets a new id.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import fastavro

from hub.contract.errors import SchemaMismatchError, SchemaNotRegisteredError
from hub.contract.records import DepartmentRecord
from hub.contract.sources import Source
from hub.settings import HubSettings
from hub.wire import schema_catalog
from hub.wire.avro_mapping import EVENT_ID_NAMESPACE, Operation, record_to_avro
from hub.wire.avro_writer import UnsupportedSchemaError, Writer, compile_writer
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import AvroChecker, frame

__all__ = ["EncodedEvent", "EventEncoder", "avro_string", "epoch_millis", "event_id", "uuid5_text"]

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLI = timedelta(milliseconds=1)
_NAMESPACE = EVENT_ID_NAMESPACE.bytes


def epoch_millis(moment: datetime) -> int:
    """Exact milliseconds since the epoch of an aware datetime (what timestamp-millis stores)."""
    return (moment - _EPOCH) // _MILLI


def uuid5_text(name: bytes) -> str:
    """`str(uuid.uuid5(EVENT_ID_NAMESPACE, name))` without building UUID objects (a few µs a row)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_id(source: str, record_key: str, updated_ms: int, record_avro: bytes) -> str:
    """The deterministic event id of one version of a department record (see the module docstring)."""
    content = hashlib.sha256(record_avro).hexdigest()
    return uuid5_text(f"{source}\x1f{record_key}\x1f{updated_ms}\x1f{content}".encode())


def avro_string(text: str) -> bytes:
    """Avro binary encoding of a string: zig-zag varint length, then UTF-8."""
    data = text.encode("utf-8")
    n = len(data) << 1  # zig-zag of a non-negative length
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + data


class EncodedEvent:
    """An event ready to produce: its id, Kafka key and value bytes."""

    __slots__ = ("event_id", "key", "value")

    def __init__(self, event_id: str, key: bytes, value: bytes) -> None:
        self.event_id = event_id
        self.key = key
        self.value = value


class EventEncoder:
    """Writes one department's events with the newest value schema of its topic, ids looked up once."""

    def __init__(self, settings: HubSettings, registry: SchemaRegistry, source: Source) -> None:
        self.source = source
        self.city_code = settings.city_code
        self.topic = settings.topics.dept(source)
        entry = schema_catalog.topic_entry(settings, self.topic)
        value_spec, key_spec = entry.value_subject(), entry.key_subject()
        latest = value_spec.latest()
        self.schema_version = latest.version
        full: dict[str, Any] = json.loads(latest.text())
        fields = full["fields"]
        if fields[-1]["name"] != "record":
            raise SchemaMismatchError(f"{value_spec.subject}: expected `record` as the last field")
        prefix = {**full, "name": f"{full['name']}Envelope", "fields": fields[:-1]}
        self._write_prefix, self._write_record = _writers(prefix, fields[-1]["type"])
        self._checker = AvroChecker(full)
        self._value_id = _schema_id(registry, value_spec.subject, latest.text())
        self._key_id = _schema_id(registry, key_spec.subject, key_spec.latest().text())
        self._key_header = frame(self._key_id, b"")
        self._value_header = frame(self._value_id, b"")

    @property
    def value_schema_id(self) -> int:
        return self._value_id

    def key_bytes(self, record_key: str) -> bytes:
        return self._key_header + avro_string(record_key)

    def encode(self, record: DepartmentRecord, ingested_ms: int | None = None) -> EncodedEvent:
        """Event id, key and value of an UPSERT of `record`; SchemaMismatchError names a field that does not fit."""
        if record.source != self.source:  # fastavro would write another department's fields as defaults
            raise SchemaMismatchError(f"{self.topic}: a {record.source} record cannot go to the {self.source} topic")
        try:
            record_avro = self._write_record(record.__dict__)  # the validated values, as pydantic stores them
            record_key = record.record_id
            updated_ms = epoch_millis(record.updated_at)
            eid = event_id(self.source, record_key, updated_ms, record_avro)
            envelope = self._write_prefix(
                {
                    "event_id": eid,
                    "source": self.source,
                    "city_code": self.city_code,
                    "record_key": record_key,
                    "operation": "UPSERT",
                    "source_updated_at": updated_ms,
                    "ingested_at": ingested_ms if ingested_ms is not None else time.time_ns() // 1_000_000,
                    "schema_version": self.schema_version,
                }
            )
        except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError, KeyError, ArithmeticError) as exc:
            raise self._explain(record, exc) from None
        return EncodedEvent(eid, self.key_bytes(record_key), self._value_header + envelope + record_avro)

    def _explain(self, record: DepartmentRecord, exc: Exception) -> SchemaMismatchError:
        """Which field of the record does not fit the schema (values are never named)."""
        datum: Mapping[str, Any] = {
            "event_id": "",
            "source": self.source,
            "city_code": self.city_code,
            "record_key": record.record_id,
            "operation": Operation.UPSERT.value,
            "source_updated_at": record.updated_at,
            "ingested_at": record.updated_at,
            "schema_version": self.schema_version,
            "record": None,
        }
        try:
            datum = {**datum, "record": record_to_avro(record)}
        except SchemaMismatchError as mismatch:
            return SchemaMismatchError(f"{self.topic}: {mismatch}")
        found = self._checker.problem(datum)
        if found:
            path, why = found
            return SchemaMismatchError(f"{self.topic}: field '{path or '(value)'}' {why}")
        return SchemaMismatchError(f"{self.topic}: the record cannot be written ({type(exc).__name__})")


def _writers(prefix: dict[str, Any], record: dict[str, Any]) -> tuple[Writer, Writer]:
    """Compiled writers of the envelope and record parts; fastavro's when the schema needs what they lack."""
    named: dict[str, Any] = {}
    try:
        return compile_writer(prefix, named), compile_writer(record, named)
    except UnsupportedSchemaError as exc:
        logger.info("writing %s with fastavro: %s", prefix.get("name"), exc)
    fastavro_named: dict[str, Any] = {}
    parsed = [fastavro.parse_schema(s, named_schemas=fastavro_named) for s in (prefix, record)]

    def writer(schema: Any) -> Writer:
        def write(datum: Mapping[str, Any]) -> bytes:
            buffer = io.BytesIO()
            fastavro.schemaless_writer(buffer, schema, datum)
            return buffer.getvalue()

        return write

    return writer(parsed[0]), writer(parsed[1])


def _schema_id(registry: SchemaRegistry, subject: str, text: str) -> int:
    found = registry.lookup(subject, text)
    if found is None:
        raise SchemaNotRegisteredError(
            f"the schema this hub writes to {subject} is not registered; run `hub schemas register`"
        )
    return found
