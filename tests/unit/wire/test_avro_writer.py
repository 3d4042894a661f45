"""The compiled Avro writer writes exactly fastavro's bytes for every schema in schemas/ it compiles."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
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
        compile_writer({"type": "record", "name": "F", "fields": [{"name": "f", "type": {"type": "fixed"}}]})
    with pytest.raises(UnsupportedSchemaError):
        compile_writer({"type": "record", "name": "U", "fields": [{"name": "u", "type": ["int", "string"]}]})


# -- every schema in schemas/, on data generated from the schema itself ------------------------------

ALL_FILES = sorted(schema_catalog.SCHEMA_DIR.glob("*/v*.avsc"))
#: Schemas the compiled writer refuses (their writers stay fastavro's), with the construct it lacks.
REFUSED = {"dead_letter/v1.avsc": "a union of two records and null"}


def _file_schema(path: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _data(schema: Any, names: dict[str, Any], namespace: str = "") -> st.SearchStrategy[Any]:
    """Valid datums of `schema` (what the hub's builders hand the writers: dates, aware datetimes, ...)."""
    if isinstance(schema, str) and schema in names:
        return _data(names[schema], names, namespace)
    if isinstance(schema, str) and f"{namespace}.{schema}" in names:
        return _data(names[f"{namespace}.{schema}"], names, namespace)
    if isinstance(schema, list):
        return st.one_of(*[_data(branch, names, namespace) for branch in schema])
    if isinstance(schema, str):
        schema = {"type": schema}
    kind, logical = schema.get("type"), schema.get("logicalType")
    if isinstance(kind, dict | list):
        return _data(kind, names, namespace)
    if kind in ("record", "enum"):
        name = schema["name"]
        ns = name.rpartition(".")[0] if "." in name else schema.get("namespace", namespace)
        names[name if "." in name else f"{ns}.{name}"] = schema
        if kind == "enum":
            return st.sampled_from(schema["symbols"])
        return st.fixed_dictionaries({f["name"]: _data(f["type"], names, ns) for f in schema["fields"]})
    if kind == "array":
        return st.lists(_data(schema["items"], names, namespace), max_size=4)
    if kind == "map":
        return st.dictionaries(st.text(max_size=12), _data(schema["values"], names, namespace), max_size=4)
    if logical == "date":
        return st.dates()
    if logical == "timestamp-millis":
        return st.datetimes(timezones=st.just(CST))
    if logical == "decimal":
        scale, precision = schema.get("scale", 0), schema["precision"]
        bound = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
        return st.decimals(min_value=-bound, max_value=bound, places=scale, allow_nan=False)
    simple: dict[str, st.SearchStrategy[Any]] = {
        "null": st.none(), "string": st.text(max_size=40), "boolean": st.booleans(), "bytes": st.binary(max_size=20),
        "int": st.integers(-(2**31), 2**31 - 1), "long": st.integers(-(2**63), 2**63 - 1),
        "double": st.floats(allow_nan=False), "float": st.floats(width=32, allow_nan=False),
    }
    return simple[kind]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_schema_writes_fastavros_bytes_on_generated_data(path: Any) -> None:
    schema = _file_schema(path)
    key = f"{path.parent.name}/{path.name}"
    if key in REFUSED:
        with pytest.raises(UnsupportedSchemaError):
            compile_writer(schema)
        return
    write, parsed = compile_writer(schema), fastavro.parse_schema(schema)

    @settings(max_examples=150, deadline=None)
    @given(datum=_data(schema, {}))
    def same(datum: Any) -> None:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, datum)
        assert write(datum) == buffer.getvalue()

    same()


def test_maps_of_records_and_arrays_of_records_empty_and_many() -> None:
    schema = _file_schema(schema_catalog.SCHEMA_DIR / "master_citizen" / "v1.avsc")
    refs = [{"source": "health", "record_key": f"J{i}"} for i in range(70)]
    provenance = {f"字段{i}": {"source": "tax", "record_key": "T" * i, "updated_at": UPDATED} for i in range(70)}
    base = {f["name"]: None for f in schema["fields"]}
    base.update(citizen_id="C-1", city_code="330100", household_member_ids=[], insurance_kinds=[],
                chronic_diseases=[], updated_at=UPDATED)
    for extra in ({"source_records": [], "provenance": {}}, {"source_records": refs, "provenance": provenance},
                  {"source_records": refs[:1], "provenance": dict(list(provenance.items())[:1])}):
        datum = {**base, **extra}
        assert compile_writer(schema)(datum) == _fastavro(schema, datum)


def test_a_bare_string_schema_writes_the_record_keys() -> None:
    write = compile_writer("string")
    for key in ("", "J-1", "王" * 40):
        assert write(key) == _fastavro("string", key)  # type: ignore[arg-type]


def test_a_recursive_record_is_refused() -> None:
    node = {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]}
    with pytest.raises(UnsupportedSchemaError):
        compile_writer(node)


def test_remembered_timestamps_depend_on_the_instant_only() -> None:
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    schema = {"type": "record", "name": "T", "fields": [{"name": "t", "type": millis}]}
    write = compile_writer(schema)
    for moment in (UPDATED, UPDATED.astimezone(UTC), UPDATED.replace(tzinfo=UTC), UPDATED):
        assert write({"t": moment}) == _fastavro(schema, {"t": moment})
    with pytest.raises(TypeError):
        write({"t": UPDATED.replace(tzinfo=None)})
