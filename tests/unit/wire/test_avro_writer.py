"""The compiled Avro writer writes exactly fastavro's bytes for every department event schema."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demos.roundtrip import sample_records
from hub.contract.records import CommerceRecord, DepartmentRecord, HealthRecord, TaxRecord
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.wire import schema_catalog
from hub.wire.avro_writer import UnsupportedSchemaError, compile_writer

UPDATED = datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=CST)


def _schema(source: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_catalog.latest(schema_catalog.department_stem(source)).text())
    return schema


def _datum(record: DepartmentRecord) -> dict[str, Any]:
    return {
        "event_id": "6f1d7c52-3a8e-5b7e-9c44-1f2d5e8a9b01",
        "source": record.source,
        "city_code": "330100",
        "record_key": record.record_id,
        "operation": "UPSERT",
        "source_updated_at": record.updated_at,
        "ingested_at": 1_717_200_000_123,
        "schema_version": 1,
        "record": record.__dict__,
    }


def _fastavro(schema: dict[str, Any], datum: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), datum)
    return buffer.getvalue()


def _same(record: DepartmentRecord) -> None:
    schema = _schema(record.source)
    assert compile_writer(schema)(_datum(record)) == _fastavro(schema, _datum(record))


def test_sample_records_of_every_department() -> None:
    assert {r.source for r in sample_records()} == set(SOURCES)
    for record in sample_records():
        _same(record)


def test_blank_optionals_long_texts_and_edge_values() -> None:
    _same(HealthRecord(record_id="J", name="王", updated_at=UPDATED))
    _same(HealthRecord(record_id="J" * 70, name="阿卜杜·热合曼" * 2000, chronic_diseases=[], updated_at=UPDATED))
    _same(HealthRecord(record_id="J", name="王", chronic_diseases=["高血压"] * 70, birth_date=date(1, 1, 1),
                       death_date=date(9999, 12, 31), updated_at=datetime(1900, 1, 1, tzinfo=CST)))
    _same(CommerceRecord(record_id="91330106MA2CFJ0K1B", business_name="某", updated_at=UPDATED - timedelta(days=1)))
    for paid in ("0", "0.01", "-0.01", "127", "128", "-128", "-129", "9999999999999999.99", "-9999999999999999.99"):
        _same(TaxRecord(record_id="T", name="刘", tax_paid=Decimal(paid), updated_at=UPDATED))


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(min_size=1, max_size=300),
    paid=st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=2, allow_nan=False),
    year=st.one_of(st.none(), st.integers(min_value=-(2**31), max_value=2**31 - 1)),
    millis=st.integers(min_value=-(2**45), max_value=2**47),  # years ~855..6429
)
def test_arbitrary_tax_values(name: str, paid: Decimal, year: int | None, millis: int) -> None:
    updated = datetime(1970, 1, 1, tzinfo=CST) + timedelta(milliseconds=millis)
    _same(TaxRecord(record_id=name, name=name, tax_year=year, tax_paid=paid, updated_at=updated))


def test_a_datum_that_does_not_fit_raises_and_other_schemas_are_refused_at_compile_time() -> None:
    write = compile_writer(_schema("tax"))
    bad = _datum(TaxRecord(record_id="T", name="刘", tax_paid=Decimal("1.001"), updated_at=UPDATED))
    with pytest.raises(ValueError):
        write(bad)
    with pytest.raises(KeyError):
        write({**_datum(sample_records()[3]), "operation": "MERGE"})
    with pytest.raises(UnsupportedSchemaError):
        compile_writer({"type": "record", "name": "M", "fields": [{"name": "m", "type": {"type": "map"}}]})
    with pytest.raises(UnsupportedSchemaError):
        compile_writer({"type": "record", "name": "U", "fields": [{"name": "u", "type": ["int", "string"]}]})
