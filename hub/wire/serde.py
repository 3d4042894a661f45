"""Confluent wire format over fastavro: magic byte 0, 4-byte big-endian schema id, Avro body.

The framing is done here rather than by confluent-kafka's AvroSerializer so that the hub
controls every registry call (one lookup per schema and process, none per message, and no
`use.latest.version` calls that Apicurio's ccompat layer answers differently) and so that a
bad event is refused with the name of the offending field, never with its value: the values
are ID numbers, names and phones.
"""

from __future__ import annotations

import io
import json
import logging
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import fastavro

from hub.contract.errors import SchemaMismatchError, SchemaNotRegisteredError, UndecodableEventError
from hub.settings import HubSettings
from hub.wire import schema_catalog
from hub.wire.avro_mapping import DepartmentEvent, event_from_avro, event_to_avro
from hub.wire.avro_writer import UnsupportedSchemaError, Writer, compile_writer
from hub.wire.registry_client import SchemaRegistry

logger = logging.getLogger(__name__)

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")
HEADER_SIZE = _HEADER.size


# -- framing --------------------------------------------------------------------------------


def frame(schema_id: int, body: bytes) -> bytes:
    """Prefix an Avro body with the registry header."""
    return _HEADER.pack(MAGIC_BYTE, schema_id) + body


def unframe(data: bytes | None) -> tuple[int, bytes]:
    """Split a message into (schema id, Avro body); anything else is undecodable."""
    if data is None:
        raise UndecodableEventError("message has no value (tombstone)")
    if len(data) < HEADER_SIZE:
        raise UndecodableEventError(f"message of {len(data)} bytes is shorter than the registry header")
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise UndecodableEventError(f"message does not start with magic byte 0 (found {magic})")
    return schema_id, bytes(data[HEADER_SIZE:])


# -- validation that names the field --------------------------------------------------------

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)

Problem = tuple[str, str]  # (field path, what is wrong)


class AvroChecker:
    """Checks a datum against an Avro schema and says which field is wrong (never its value)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.names: dict[str, dict[str, Any]] = {}
        self._collect(schema, "")

    def problem(self, datum: Any) -> Problem | None:
        return self._check(datum, self.schema, "", "")

    def _collect(self, schema: Any, namespace: str) -> None:
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, namespace)
        elif isinstance(schema, dict):
            kind = schema.get("type")
            if kind in ("record", "enum", "fixed", "error"):
                full, namespace = _full_name(schema, namespace)
                self.names[full] = schema
                for field in schema.get("fields", []):
                    self._collect(field["type"], namespace)
            elif kind == "array":
                self._collect(schema["items"], namespace)
            elif kind == "map":
                self._collect(schema["values"], namespace)
            elif isinstance(kind, dict | list):
                self._collect(kind, namespace)

    def _resolve(self, name: str, namespace: str) -> tuple[dict[str, Any], str]:
        for candidate in (name, f"{namespace}.{name}" if namespace else name):
            if candidate in self.names:
                target = self.names[candidate]
                return target, _full_name(target, namespace)[1]
        raise SchemaMismatchError(f"schema refers to unknown type {name!r}")

    def _check(self, datum: Any, schema: Any, path: str, namespace: str) -> Problem | None:
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _check_primitive(datum, schema, path)
            target, inner_ns = self._resolve(schema, namespace)
            return self._check(datum, target, path, inner_ns)
        if isinstance(schema, list):
            return self._check_union(datum, schema, path, namespace)
        kind = schema.get("type")
        if isinstance(kind, dict | list):
            return self._check(datum, kind, path, namespace)
        if kind in ("record", "error"):
            return self._check_record(datum, schema, path, namespace)
        if kind == "enum":
            if not isinstance(datum, str) or datum not in schema["symbols"]:
                return path, f"is not one of the symbols of enum {schema['name']}"
            return None
        if kind == "array":
            if not isinstance(datum, Sequence) or isinstance(datum, str | bytes):
                return path, "expected an array (list)"
            for i, item in enumerate(datum):
                found = self._check(item, schema["items"], f"{path}[{i}]", namespace)
                if found:
                    return found
            return None
        if kind == "map":
            if not isinstance(datum, Mapping):
                return path, "expected a map (dict)"
            for key, item in datum.items():
                if not isinstance(key, str):
                    return path, "map keys must be strings"
                found = self._check(item, schema["values"], f"{path}[{key}]", namespace)
                if found:
                    return found
            return None
        if kind == "fixed":
            if not isinstance(datum, bytes | bytearray) or len(datum) != schema["size"]:
                return path, f"expected {schema['size']} bytes"
            return None
        logical = schema.get("logicalType")
        if logical:
            return _check_logical(datum, schema, logical, path)
        if kind in _PRIMITIVES:
            return _check_primitive(datum, kind, path)
        target, inner_ns = self._resolve(str(kind), namespace)
        return self._check(datum, target, path, inner_ns)

    def _check_union(self, datum: Any, branches: list[Any], path: str, namespace: str) -> Problem | None:
        if datum is None:
            return None if "null" in branches else (path, "is missing (null not allowed)")
        problems: list[Problem] = []
        for branch in branches:
            if branch == "null":
                continue
            found = self._check(datum, branch, path, namespace)
            if found is None:
                return None
            problems.append(found)
        if not problems:
            return path, "must be null"
        # The branch that got deepest into the datum explains the mismatch best.
        return max(problems, key=lambda p: len(p[0]))

    def _check_record(self, datum: Any, schema: dict[str, Any], path: str, namespace: str) -> Problem | None:
        if not isinstance(datum, Mapping):
            return path, f"expected a record {schema['name']} (dict)"
        inner_ns = _full_name(schema, namespace)[1]
        known: set[str] = set()
        for field in schema["fields"]:
            name = field["name"]
            known.add(name)
            where = f"{path}.{name}" if path else name
            if name not in datum:
                if "default" in field:
                    continue
                return where, "is missing (required, no default)"
            found = self._check(datum[name], field["type"], where, inner_ns)
            if found:
                return found
        extra = sorted(str(k) for k in datum if k not in known)
        if extra:
            return (f"{path}.{extra[0]}" if path else extra[0]), "is not a field of the schema"
        return None


def _full_name(schema: dict[str, Any], namespace: str) -> tuple[str, str]:
    """(full name, namespace for names inside it) of a named type."""
    name = str(schema["name"])
    if "." in name:
        return name, name.rpartition(".")[0]
    ns = schema.get("namespace", namespace) or ""
    return (f"{ns}.{name}" if ns else name), ns


def _check_primitive(datum: Any, kind: str, path: str) -> Problem | None:
    ok: bool
    if kind == "null":
        ok = datum is None
    elif kind == "boolean":
        ok = isinstance(datum, bool)
    elif kind in ("int", "long"):
        low, high = _INT_RANGE if kind == "int" else _LONG_RANGE
        ok = isinstance(datum, int) and not isinstance(datum, bool) and low <= datum <= high
    elif kind in ("float", "double"):
        ok = isinstance(datum, int | float) and not isinstance(datum, bool)
    elif kind == "bytes":
        ok = isinstance(datum, bytes | bytearray | memoryview)
    else:
        ok = isinstance(datum, str)
    return None if ok else (path, f"expected Avro {kind}")


def _check_logical(datum: Any, schema: dict[str, Any], logical: str, path: str) -> Problem | None:
    base = schema["type"]
    if logical == "date":
        if isinstance(datum, datetime) or not isinstance(datum, date | int) or isinstance(datum, bool):
            return path, "expected a date"
        return None
    if logical in ("timestamp-millis", "timestamp-micros"):
        if isinstance(datum, datetime):
            return None if datum.tzinfo is not None else (path, "expected a time-zone-aware datetime")
        return _check_primitive(datum, "long", path)
    if logical == "decimal":
        if not isinstance(datum, Decimal) or not datum.is_finite():
            return path, "expected a finite Decimal"
        scale, precision = int(schema.get("scale", 0)), int(schema["precision"])
        try:
            quantized = datum.quantize(Decimal(1).scaleb(-scale))
        except InvalidOperation:
            return path, f"does not fit decimal({precision},{scale})"
        if quantized != datum:
            return path, f"has more than {scale} fractional digits"
        if len(quantized.as_tuple().digits) > precision:
            return path, f"has more than {precision} digits"
        return None
    if logical == "uuid":
        return None if isinstance(datum, str | UUID) else (path, "expected a UUID")
    return _check_primitive(datum, str(base), path)


# -- serializer / deserializer --------------------------------------------------------------


_COMPILED_REFUSALS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, UnicodeError)


def _compiled_writer(subject: str, schema_json: Any) -> Writer | None:
    """The generated writer of `schema_json` (byte-identical to fastavro, several times faster), or None
    when the schema uses what it does not handle; fastavro then writes every datum."""
    try:
        return compile_writer(schema_json)
    except UnsupportedSchemaError as exc:
        logger.info("writing %s with fastavro: %s", subject, exc)
        return None


class Serializer:
    """Writes datums of one subject; looks its schema id up once, validates every datum."""

    def __init__(
        self,
        registry: SchemaRegistry,
        subject: str,
        schema_text: str,
        *,
        auto_register: bool = False,
        precheck: bool = True,
    ) -> None:
        self.registry = registry
        self.subject = subject
        self.schema_text = schema_text
        self.auto_register = auto_register
        self.precheck = precheck
        schema_json = json.loads(schema_text)
        self._checker = AvroChecker(schema_json)
        self._parsed = fastavro.parse_schema(schema_json)
        self._compiled = _compiled_writer(subject, schema_json)
        self._schema_id: int | None = None
        self._lock = threading.Lock()

    @property
    def schema_id(self) -> int:
        if self._schema_id is None:
            with self._lock:
                if self._schema_id is None:
                    self._schema_id = self._resolve_id()
        return self._schema_id

    def _resolve_id(self) -> int:
        if self.auto_register:
            return self.registry.register(self.subject, self.schema_text).schema_id
        found = self.registry.lookup(self.subject, self.schema_text)
        if found is None:
            raise SchemaNotRegisteredError(
                f"the schema this hub writes to {self.subject} is not registered; run `hub schemas register`"
            )
        return found

    def check(self, datum: Any) -> None:
        """Raise SchemaMismatchError naming the first field that does not fit the schema."""
        found = self._checker.problem(datum)
        if found:
            path, why = found
            raise SchemaMismatchError(f"{self.subject}: field '{path or '(value)'}' {why}")

    def __call__(self, datum: Any) -> bytes:
        if self.precheck:
            self.check(datum)
        if self._compiled is not None:
            try:
                body = self._compiled(datum)
            except _COMPILED_REFUSALS:
                pass  # fastavro decides below: it also takes datums the compiled writer refuses (a missing
                # field with a default, a bool for an int, ...), so both paths accept exactly the same datums
            else:
                return frame(self.schema_id, body)
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, self._parsed, datum)
        except (ValueError, TypeError, AttributeError, OverflowError, UnicodeError) as exc:
            self.check(datum)  # name the field when the checker can
            raise SchemaMismatchError(
                f"{self.subject}: value cannot be written ({type(exc).__name__})"
            ) from None
        return frame(self.schema_id, buffer.getvalue())


@dataclass(frozen=True)
class Decoded:
    schema_id: int
    value: Any


class Deserializer:
    """Reads registry-framed Avro; resolves each writer schema once and reads into `reader_schema`."""

    def __init__(self, registry: SchemaRegistry, reader_schema_text: str | None = None) -> None:
        self.registry = registry
        self._reader_text = reader_schema_text
        self._reader = fastavro.parse_schema(json.loads(reader_schema_text)) if reader_schema_text else None
        self._writers: dict[int, tuple[Any, Any]] = {}  # id -> (writer, reader or None)
        self._lock = threading.Lock()

    def _schemas_for(self, schema_id: int) -> tuple[Any, Any]:
        with self._lock:
            if schema_id in self._writers:
                return self._writers[schema_id]
        text = self.registry.schema_text(schema_id)
        try:
            writer_json = json.loads(text)
            writer = fastavro.parse_schema(writer_json)
        except (ValueError, fastavro.schema.SchemaParseException) as exc:
            raise UndecodableEventError(
                f"schema id {schema_id} is not a usable Avro schema ({exc})"
            ) from None
        same = self._reader_text is not None and json.loads(self._reader_text) == writer_json
        pair = (writer, None if same else self._reader)
        with self._lock:
            self._writers[schema_id] = pair
        return pair

    def decode(self, data: bytes | None) -> Decoded:
        schema_id, body = unframe(data)
        writer, reader = self._schemas_for(schema_id)
        stream = io.BytesIO(body)
        try:
            value = fastavro.schemaless_reader(stream, writer, reader)
        except Exception as exc:  # fastavro raises many kinds on garbage input
            raise UndecodableEventError(
                f"Avro body does not decode with schema id {schema_id} ({type(exc).__name__})"
            ) from None
        if stream.tell() != len(body):
            raise UndecodableEventError(
                f"Avro body has {len(body) - stream.tell()} trailing bytes after schema id {schema_id}"
            )
        return Decoded(schema_id, value)

    def __call__(self, data: bytes | None) -> Any:
        return self.decode(data).value


# -- per-topic codecs from the catalogue ----------------------------------------------------


class TopicCodecs:
    """Serializers and deserializers for the hub's topics, built once per topic and process."""

    def __init__(
        self, settings: HubSettings, registry: SchemaRegistry, *, auto_register: bool = False, precheck: bool = True
    ) -> None:
        """`precheck=False` skips the field-by-field check before writing (about as costly as the write
        itself) for datums the hub builds itself; a datum fastavro refuses is still explained by field."""
        self.settings = settings
        self.registry = registry
        self.auto_register = auto_register
        self.precheck = precheck
        self._serializers: dict[str, Serializer] = {}
        self._deserializers: dict[str, Deserializer] = {}

    def _subject(self, topic: str, role: str) -> schema_catalog.SubjectSpec:
        entry = schema_catalog.topic_entry(self.settings, topic)
        return entry.value_subject() if role == "value" else entry.key_subject()

    def serializer(self, topic: str, role: str = "value") -> Serializer:
        key = f"{topic}|{role}"
        if key not in self._serializers:
            spec = self._subject(topic, role)
            self._serializers[key] = Serializer(
                self.registry, spec.subject, spec.latest().text(), auto_register=self.auto_register,
                precheck=self.precheck,
            )
        return self._serializers[key]

    def deserializer(self, topic: str, role: str = "value") -> Deserializer:
        key = f"{topic}|{role}"
        if key not in self._deserializers:
            spec = self._subject(topic, role)
            self._deserializers[key] = Deserializer(self.registry, spec.latest().text())
        return self._deserializers[key]

    def encode_department_event(self, event: DepartmentEvent) -> tuple[str, bytes, bytes]:
        """(topic, key bytes, value bytes) of a department event."""
        topic = self.settings.topics.dept(event.source)
        key = self.serializer(topic, "key")(event.record_key)
        value = self.serializer(topic, "value")(event_to_avro(event))
        return topic, key, value

    def decode_department_event(self, topic: str, value: bytes | None) -> tuple[int, DepartmentEvent]:
        """(writer schema id, event) of a dept.<source>.v1 message value."""
        decoded = self.deserializer(topic, "value").decode(value)
        return decoded.schema_id, event_from_avro(decoded.value)
