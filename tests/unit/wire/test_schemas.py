"""The schema catalogue: files parse, history is complete, department schemas match the record contract."""

from __future__ import annotations

import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, get_args, get_origin

import fastavro
import pytest
from pydantic.fields import FieldInfo

from hub.contract import records
from hub.contract.sources import SOURCES
from hub.settings import load_settings
from hub.wire import schema_catalog
from hub.wire.schema_catalog import SCHEMA_DIR, Compatibility, TopicKind

ALL_FILES = sorted(SCHEMA_DIR.glob("*/v*.avsc"))


def _record_schema(source: str) -> dict[str, Any]:
    event = schema_catalog.latest(schema_catalog.department_stem(source)).parsed_json()
    record = next(f for f in event["fields"] if f["name"] == "record")["type"]
    assert isinstance(record, dict)
    return record


def _named_types(schema: Any, found: dict[str, Any], namespace: str = "") -> None:
    """Every named type defined in a schema, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, found, namespace)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed"):
            name = schema["name"]
            namespace = schema.get("namespace", namespace)
            found.setdefault(f"{namespace}.{name}" if "." not in name else name, []).append(schema)
            for field in schema.get("fields", []):
                _named_types(field["type"], found, namespace)
        elif kind == "array":
            _named_types(schema["items"], found, namespace)
        elif kind == "map":
            _named_types(schema["values"], found, namespace)
        elif isinstance(kind, dict | list):
            _named_types(kind, found, namespace)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_schema_file_parses_with_fastavro(path: Any) -> None:
    fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))


def test_every_stem_has_gapless_history_and_the_catalogue_uses_them_all() -> None:
    stems = schema_catalog.stems()
    for stem in stems:
        assert [v.version for v in schema_catalog.versions(stem)] == list(
            range(1, len(schema_catalog.versions(stem)) + 1)
        )
    used = {e.value_stem for e in schema_catalog.topics(load_settings())} | {schema_catalog.KEY_STEM}
    assert used | {schema_catalog.ENVELOPE_STEM} == set(stems)


def test_catalogue_covers_every_topic_with_topic_name_subjects() -> None:
    settings = load_settings()
    entries = schema_catalog.topics(settings)
    names = [e.topic for e in entries]
    assert len(names) == len(set(names)) == 18
    for source in SOURCES:
        assert settings.topics.dept(source) in names
        assert settings.topics.dlq(source) in names
    for entry in entries:
        assert entry.value_subject().subject == f"{entry.topic}-value"
        assert entry.key_subject().subject == f"{entry.topic}-key"
        assert entry.key_subject().latest().parsed_json() == "string"
        expected = Compatibility.FULL if entry.kind is TopicKind.MASTER else Compatibility.BACKWARD_TRANSITIVE
        assert entry.value_subject().compatibility is expected


def _expected_avro(annotation: Any) -> tuple[bool, Any]:
    """(optional, base Avro type description) that a pydantic annotation should map to."""
    optional = False
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        assert len(args) == 1, annotation
        annotation = args[0]
    if get_origin(annotation) is Literal:
        return optional, ("enum", sorted(SOURCES))
    if get_origin(annotation) is list:
        return optional, ("array", "string")
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return optional, ("enum", sorted(m.value for m in annotation))
    simple = {
        str: "string",
        bool: "boolean",
        int: "int",
        date: ("int", "date"),
        datetime: ("long", "timestamp-millis"),
        Decimal: ("bytes", "decimal"),
    }
    return optional, simple[annotation]


def _actual_avro(avro_type: Any, names: dict[str, list[Any]]) -> tuple[bool, Any]:
    optional = False
    if isinstance(avro_type, list):
        assert avro_type[0] == "null" and len(avro_type) == 2, avro_type
        optional, avro_type = True, avro_type[1]
    if isinstance(avro_type, str) and avro_type in names:
        avro_type = names[avro_type][0]
    if isinstance(avro_type, str):
        return optional, avro_type
    kind = avro_type["type"]
    if kind == "enum":
        return optional, ("enum", sorted(avro_type["symbols"]))
    if kind == "array":
        return optional, ("array", avro_type["items"])
    if "logicalType" in avro_type:
        return optional, (kind, avro_type["logicalType"])
    return optional, kind


def _default_of(info: FieldInfo) -> Any:
    if info.is_required():
        return "<required>"
    return info.get_default(call_default_factory=True)


@pytest.mark.parametrize("source", SOURCES)
def test_department_schema_has_exactly_the_record_model_fields(source: str) -> None:
    model = records.RECORD_TYPES[source]
    names: dict[str, list[Any]] = {}
    _named_types(schema_catalog.latest(schema_catalog.department_stem(source)).parsed_json(), names)
    avro_fields = _record_schema(source)["fields"]
    assert [f["name"] for f in avro_fields] == list(model.model_fields)
    for avro_field in avro_fields:
        info = model.model_fields[avro_field["name"]]
        where = f"{source}.{avro_field['name']}"
        assert _actual_avro(avro_field["type"], names) == _expected_avro(info.annotation), where
        assert avro_field.get("default", "<required>") == _default_of(info), where


def test_tax_paid_is_decimal_18_2() -> None:
    field = next(f for f in _record_schema("tax")["fields"] if f["name"] == "tax_paid")
    assert field["type"][1] == {"type": "bytes", "logicalType": "decimal", "precision": 18, "scale": 2}


def test_department_events_are_the_envelope_plus_record() -> None:
    envelope = schema_catalog.latest(schema_catalog.ENVELOPE_STEM).parsed_json()["fields"]
    names = [f["name"] for f in envelope]
    assert names == [
        "event_id",
        "source",
        "city_code",
        "record_key",
        "operation",
        "source_updated_at",
        "ingested_at",
        "schema_version",
    ]
    for source in SOURCES:
        fields = schema_catalog.latest(schema_catalog.department_stem(source)).parsed_json()["fields"]
        assert fields[:-1] == envelope, source
        assert fields[-1]["name"] == "record"


def test_named_types_mean_the_same_everywhere() -> None:
    found: dict[str, list[Any]] = {}
    for stem in schema_catalog.stems():
        _named_types(schema_catalog.latest(stem).parsed_json(), found)
    for name, definitions in found.items():
        first = {k: v for k, v in definitions[0].items() if k != "namespace"}
        for other in definitions[1:]:
            assert {k: v for k, v in other.items() if k != "namespace"} == first, name


def test_enum_symbols_are_the_record_contract_values() -> None:
    found: dict[str, list[Any]] = {}
    for stem in schema_catalog.stems():
        _named_types(schema_catalog.latest(stem).parsed_json(), found)
    assert found["citizenhub.Department"][0]["symbols"] == list(SOURCES)
    for enum in (
        records.Gender,
        records.DocumentType,
        records.MaritalStatus,
        records.AssistanceType,
        records.InsuranceStatus,
        records.RegistrationStatus,
    ):
        assert found[f"citizenhub.{enum.__name__}"][0]["symbols"] == [m.value for m in enum]


@pytest.mark.parametrize("stem", ["master_citizen", "master_address", "master_organization"])
def test_master_records_carry_per_field_provenance(stem: str) -> None:
    schema = schema_catalog.latest(stem).parsed_json()
    fields = {f["name"]: f for f in schema["fields"]}
    provenance = fields["provenance"]["type"]
    assert provenance["type"] == "map"
    values = provenance["values"]
    if isinstance(values, dict):
        assert [f["name"] for f in values["fields"]] == ["source", "record_key", "updated_at"]
    else:
        assert values == "citizenhub.master.Provenance"
    for name in ("source_records", "redirected_to", "updated_at"):
        assert name in fields
    # FULL compatibility: every field but the id, city and version time can be left out.
    required = [n for n, f in fields.items() if "default" not in f]
    assert required == [schema["fields"][0]["name"], "city_code", "updated_at"]


def test_master_citizen_covers_the_design_entity() -> None:
    fields = {f["name"] for f in schema_catalog.latest("master_citizen").parsed_json()["fields"]}
    design = {
        "name",
        "gender",
        "birth_date",
        "id_number",
        "document_type",
        "phone",
        "address_id",
        "household_member_ids",
        "assistance_type",
        "elderly_care",
        "insurance_status",
        "employer_organization_id",
        "family_doctor",
        "chronic_diseases",
        "death_date",
    }
    assert design <= fields


def test_dead_letter_origin_is_file_request_or_kafka_position() -> None:
    fields = {f["name"]: f for f in schema_catalog.latest("dead_letter").parsed_json()["fields"]}
    origins = {branch["name"]: [f["name"] for f in branch["fields"]] for branch in fields["origin"]["type"]}
    assert origins == {
        "FileOrigin": ["path", "line", "byte_offset"],
        "RequestOrigin": ["request_id"],
        "KafkaOrigin": ["topic", "partition", "offset"],
    }
    assert fields["raw"]["type"] == "bytes"
