"""Converters between the department record models (hub.contract.records) and Avro datums.

Avro wants plain values: enum symbols as str, decimals at the schema's scale, aware datetimes
(timestamp-millis keeps milliseconds, UTC on the wire). On the way back, times are shown in
China Standard Time again so a decoded record equals the one the connector built.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.contract.errors import SchemaMismatchError
from hub.contract.records import RECORD_TYPES, AnyDepartmentRecord, DepartmentRecord
from hub.contract.sources import Source
from hub.contract.timezone import CST
from hub.wire import schema_catalog

#: uuid5 namespace of event ids: the same department row always yields the same event id.
EVENT_ID_NAMESPACE = uuid.UUID("6f1d7c52-3a8e-5b7e-9c44-1f2d5e8a9b01")


class Operation(StrEnum):
    UPSERT = "UPSERT"
    DELETE = "DELETE"


class DepartmentEvent(BaseModel):
    """Value of dept.<source>.v1: the envelope plus the department record it carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    source: Source
    city_code: str
    record_key: str
    operation: Operation = Operation.UPSERT
    source_updated_at: datetime
    ingested_at: datetime
    schema_version: int = Field(ge=1)
    record: Annotated[AnyDepartmentRecord, Field(discriminator="source")]

    @field_validator("source_updated_at", "ingested_at")
    @classmethod
    def _aware_millis(cls, value: datetime) -> datetime:
        """Aware (CST when naive) and cut to milliseconds, the precision timestamp-millis keeps."""
        value = value if value.tzinfo is not None else value.replace(tzinfo=CST)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)

    @model_validator(mode="after")
    def _envelope_matches_record(self) -> DepartmentEvent:
        if self.record.source != self.source:
            raise ValueError("envelope source differs from the record's source")
        if self.record.record_id != self.record_key:
            raise ValueError("envelope record_key differs from the record's record_id")
        return self


def department_schema_version(source: str) -> int:
    """The version of the department's value schema this process writes with (the newest file)."""
    return schema_catalog.latest(schema_catalog.department_stem(source)).version


def event_for(
    record: DepartmentRecord,
    *,
    city_code: str,
    ingested_at: datetime | None = None,
    operation: Operation = Operation.UPSERT,
) -> DepartmentEvent:
    """Wrap a department record in its envelope; the event id is derived from the content."""
    digest = hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()
    name = f"{record.source}\x1f{record.record_id}\x1f{operation.value}\x1f{digest}"
    return DepartmentEvent.model_validate(
        {
            "event_id": str(uuid.uuid5(EVENT_ID_NAMESPACE, name)),
            "source": record.source,
            "city_code": city_code,
            "record_key": record.record_id,
            "operation": operation,
            "source_updated_at": record.updated_at,
            "ingested_at": ingested_at or datetime.now(CST),
            "schema_version": department_schema_version(record.source),
            "record": record,
        }
    )


# -- to Avro --------------------------------------------------------------------------------


def record_to_avro(record: DepartmentRecord) -> dict[str, Any]:
    """A department record as the Avro datum of its `record` field."""
    scales = _decimal_scales(record.source)
    datum: dict[str, Any] = {}
    for name, value in record.model_dump(mode="python").items():
        if isinstance(value, Decimal) and name in scales:
            datum[name] = _at_scale(value, scales[name], f"record.{name}")
        else:
            datum[name] = _plain(value)
    return datum


def event_to_avro(event: DepartmentEvent) -> dict[str, Any]:
    """The full Avro datum of a dept.<source>.v1 value."""
    return {
        "event_id": event.event_id,
        "source": event.source,
        "city_code": event.city_code,
        "record_key": event.record_key,
        "operation": event.operation.value,
        "source_updated_at": event.source_updated_at,
        "ingested_at": event.ingested_at,
        "schema_version": event.schema_version,
        "record": record_to_avro(event.record),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _at_scale(value: Decimal, scale: int, path: str) -> Decimal:
    """The decimal at exactly `scale` fractional digits, refusing to round away a digit."""
    try:
        quantized = value.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        raise SchemaMismatchError(f"field '{path}' is not a finite decimal") from None
    if quantized != value:
        raise SchemaMismatchError(f"field '{path}' has more than {scale} fractional digits")
    return quantized


@cache
def _decimal_scales(source: str) -> dict[str, int]:
    """Scale of each decimal field of the department record, read from its newest schema."""
    schema = schema_catalog.latest(schema_catalog.department_stem(source)).parsed_json()
    record = next(f for f in schema["fields"] if f["name"] == "record")["type"]
    scales: dict[str, int] = {}
    for field in record["fields"]:
        branches = field["type"] if isinstance(field["type"], list) else [field["type"]]
        for branch in branches:
            if isinstance(branch, dict) and branch.get("logicalType") == "decimal":
                scales[field["name"]] = int(branch.get("scale", 0))
    return scales


# -- from Avro ------------------------------------------------------------------------------


def record_from_avro(datum: Mapping[str, Any]) -> DepartmentRecord:
    """The department record model from a decoded Avro `record` datum."""
    source = datum.get("source")
    model = RECORD_TYPES.get(str(source))
    if model is None:
        raise SchemaMismatchError("field 'record.source' names no known department")
    values = {k: _cst(v) for k, v in datum.items()}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise SchemaMismatchError(f"field 'record.{where}' does not fit {model.__name__}") from None


def event_from_avro(datum: Mapping[str, Any]) -> DepartmentEvent:
    """The department event model from a decoded dept.<source>.v1 value."""
    record = record_from_avro(datum["record"])
    values = {k: _cst(v) for k, v in datum.items() if k != "record"}
    try:
        return DepartmentEvent.model_validate({**values, "record": record})
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "event"
        raise SchemaMismatchError(f"field '{where}' does not fit DepartmentEvent") from None


def _cst(value: Any) -> Any:
    return value.astimezone(CST) if isinstance(value, datetime) and value.tzinfo is not None else value
