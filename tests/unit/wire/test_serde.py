"""Wire format, Avro mapping and the registry wrapper, without services (confluent's mock:// registry)."""

from __future__ import annotations

import io
import json
import socket
import struct
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from demos.roundtrip import sample_records
from hub.contract.errors import (
    RegistryUnavailableError,
    SchemaMismatchError,
    SchemaNotRegisteredError,
    UndecodableEventError,
    UnknownSchemaIdError,
)
from hub.contract.records import DepartmentRecord, TaxRecord
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.settings import HubSettings, load_settings
from hub.wire import schema_catalog
from hub.wire.avro_mapping import (
    DepartmentEvent,
    event_for,
    event_from_avro,
    event_to_avro,
    record_from_avro,
    record_to_avro,
)
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.serde import Deserializer, Serializer, TopicCodecs, frame, unframe
from tests.fixtures.samples import T0, sparse_records


class MockRegistryClient:
    """confluent-kafka's mock:// client plus in-memory compatibility levels (the mock has none)."""

    def __init__(self, url: str) -> None:
        self._mock = SchemaRegistryClient.new_client({"url": url})
        self._levels: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._mock, name)

    def set_compatibility(self, subject_name: str | None = None, level: str | None = None) -> dict[str, str]:
        self._levels[subject_name or ""] = str(level)
        return {"compatibility": str(level)}

    def get_compatibility(self, subject_name: str | None = None) -> str:
        if (subject_name or "") not in self._levels:
            raise SchemaRegistryError(404, 40408, "Subject not found")
        return self._levels[subject_name or ""]


def mock_registry(url: str, client: MockRegistryClient | None = None) -> SchemaRegistry:
    mock: Any = client or MockRegistryClient(url)
    return SchemaRegistry(url, 1.0, client=mock)


@pytest.fixture
def settings() -> HubSettings:
    return load_settings()


@pytest.fixture
def registry() -> Iterator[SchemaRegistry]:
    wrapper = mock_registry("mock://unit")
    yield wrapper
    wrapper.close()


@pytest.fixture
def codecs(settings: HubSettings, registry: SchemaRegistry) -> TopicCodecs:
    sync_catalogue(registry, settings)
    return TopicCodecs(settings, registry)


# -- framing --------------------------------------------------------------------------------


def test_frame_is_magic_byte_then_big_endian_id_then_body() -> None:
    data = frame(258, b"\x02ab")
    assert data == b"\x00\x00\x00\x01\x02\x02ab"
    assert unframe(data) == (258, b"\x02ab")


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x01", b"\x01\x00\x00\x00\x01body", None])
def test_unframe_rejects_what_is_not_registry_framed(data: bytes | None) -> None:
    with pytest.raises(UndecodableEventError):
        unframe(data)


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record", sample_records() + sparse_records(), ids=lambda r: f"{r.source}-{r.record_id}"
)
def test_department_event_round_trips_through_the_wire_format(
    codecs: TopicCodecs, settings: HubSettings, record: DepartmentRecord
) -> None:
    event = event_for(record, city_code=settings.city_code, ingested_at=T0)
    topic, key, value = codecs.encode_department_event(event)
    assert topic == settings.topics.dept(record.source)
    assert value[0] == 0 and key[0] == 0
    assert codecs.deserializer(topic, "key")(key) == record.record_id
    schema_id, decoded = codecs.decode_department_event(topic, value)
    assert schema_id == struct.unpack(">I", value[1:5])[0]
    assert decoded == event
    assert decoded.record == record
    assert decoded.record.updated_at.utcoffset() == CST.utcoffset(None)


def test_record_mapping_round_trips_without_the_wire() -> None:
    for record in sample_records():
        assert record_from_avro(record_to_avro(record)) == record


def test_event_ids_are_derived_from_content() -> None:
    record = sample_records()[0]
    first = event_for(record, city_code="330100", ingested_at=T0)
    again = event_for(record, city_code="330100", ingested_at=datetime(2025, 1, 1, tzinfo=CST))
    changed = event_for(record.model_copy(update={"phone": "13900000000"}), city_code="330100")
    assert first.event_id == again.event_id != changed.event_id


def test_envelope_must_agree_with_its_record() -> None:
    event = event_for(sample_records()[0], city_code="330100", ingested_at=T0)
    datum = event_to_avro(event)
    datum["record_key"] = "OTHER"
    with pytest.raises(SchemaMismatchError):
        event_from_avro(datum)


def test_tax_paid_is_written_at_scale_two() -> None:
    record = TaxRecord(record_id="TX1", name="丁", tax_paid=Decimal("12"), updated_at=T0)
    assert str(record_to_avro(record)["tax_paid"]) == "12.00"
    with pytest.raises(SchemaMismatchError, match=r"record\.tax_paid"):
        record_to_avro(record.model_copy(update={"tax_paid": Decimal("1.234")}))


# -- schema mismatch names the field, never the value -----------------------------------------


def _good_datum(settings: HubSettings, source: str = "civil_affairs") -> dict[str, Any]:
    record = next(r for r in sample_records() if r.source == source)
    return event_to_avro(event_for(record, city_code=settings.city_code, ingested_at=T0))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["record"].update(gender="unknown"), "record.gender"),
        (lambda d: d["record"].pop("name"), "record.name"),
        (lambda d: d["record"].update(nickname="x"), "record.nickname"),
        (lambda d: d["record"].update(birth_date="1985-03-12"), "record.birth_date"),
        (lambda d: d["record"].update(elderly_care="否"), "record.elderly_care"),
        (lambda d: d["record"].update(id_number=330106198503121234), "record.id_number"),
        (lambda d: d.update(source_updated_at=datetime(2024, 5, 1, 9, 30)), "source_updated_at"),
        (lambda d: d.update(schema_version=2**40), "schema_version"),
        (lambda d: d.update(operation="MERGE"), "operation"),
    ],
)
def test_serializer_refuses_a_mismatch_naming_the_field(
    codecs: TopicCodecs, settings: HubSettings, change: Any, field: str
) -> None:
    datum = _good_datum(settings)
    change(datum)
    with pytest.raises(SchemaMismatchError) as caught:
        codecs.serializer(settings.topics.dept("civil_affairs"))(datum)
    message = str(caught.value)
    assert f"'{field}'" in message
    assert "330106198503121234" not in message and "1391234" not in message


def test_decimal_with_too_many_digits_is_named(codecs: TopicCodecs, settings: HubSettings) -> None:
    datum = _good_datum(settings, "tax")
    datum["record"]["tax_paid"] = Decimal("1.005")
    with pytest.raises(SchemaMismatchError, match=r"'record\.tax_paid' has more than 2 fractional digits"):
        codecs.serializer(settings.topics.dept("tax"))(datum)
    datum["record"]["tax_paid"] = Decimal("1" * 17 + ".00")
    with pytest.raises(SchemaMismatchError, match=r"'record\.tax_paid' has more than 18 digits"):
        codecs.serializer(settings.topics.dept("tax"))(datum)


def test_array_items_are_named_by_index(codecs: TopicCodecs, settings: HubSettings) -> None:
    datum = _good_datum(settings, "health")
    datum["record"]["chronic_diseases"] = ["高血压", None]
    with pytest.raises(SchemaMismatchError, match=r"'record\.chronic_diseases\[1\]'"):
        codecs.serializer(settings.topics.dept("health"))(datum)


# -- the other schemas serialise too ----------------------------------------------------------


def test_dead_letter_origin_union_round_trips(codecs: TopicCodecs, settings: HubSettings) -> None:
    topic = settings.topics.dlq("hrss")
    for origin in (
        {"path": "/in/hrss_2024.csv", "line": 17, "byte_offset": 2048},
        {"request_id": "req-42"},
        {"topic": "dept.hrss.v1", "partition": 3, "offset": 99},
    ):
        letter = {
            "source": "hrss",
            "city_code": "330100",
            "reason": "wrong column count",
            "field": None,
            "record_key": None,
            "raw": b"\xd5\xc5,\xce\xb0",
            "origin": origin,
            "failed_at": T0,
        }
        decoded = codecs.deserializer(topic)(codecs.serializer(topic)(letter))
        assert decoded["origin"] == origin and decoded["raw"] == letter["raw"]


def test_master_citizen_with_provenance_round_trips(codecs: TopicCodecs, settings: HubSettings) -> None:
    topic = settings.topics.master_citizen
    citizen: dict[str, Any] = {
        "citizen_id": "C-1",
        "city_code": "330100",
        "name": "陈晓明",
        "gender": "male",
        "birth_date": date(1985, 3, 12),
        "provenance": {
            "name": {"source": "civil_affairs", "record_key": "MZ000123", "updated_at": T0},
            "gender": {"source": "civil_affairs", "record_key": "MZ000123", "updated_at": T0},
        },
        "source_records": [{"source": "civil_affairs", "record_key": "MZ000123"}],
        "updated_at": T0,
    }
    decoded = codecs.deserializer(topic)(codecs.serializer(topic)(citizen))
    assert decoded["provenance"]["name"]["record_key"] == "MZ000123"
    assert decoded["phone"] is None and decoded["chronic_diseases"] == []
    citizen["provenance"]["name"]["source"] = "police"
    with pytest.raises(SchemaMismatchError, match=r"'provenance\[name\]\.source'"):
        codecs.serializer(topic)(citizen)


def test_compiled_writers_answer_exactly_as_fastavro_would(settings: HubSettings, registry: SchemaRegistry) -> None:
    """Master serializers write with the compiled writer; a datum it refuses (a field left to its default)
    goes to fastavro, so both accept the same datums and write the same bytes."""
    sync_catalogue(registry, settings)
    codecs = TopicCodecs(settings, registry, precheck=False)
    serializer = codecs.serializer(settings.topics.master_citizen)
    assert serializer._compiled is not None
    assert codecs.serializer(settings.topics.master_citizen, "key")._compiled is not None
    schema = fastavro.parse_schema(json.loads(serializer.schema_text))
    full: dict[str, Any] = {f["name"]: None for f in json.loads(serializer.schema_text)["fields"]}
    full.update(citizen_id="C-1", city_code="330100", household_member_ids=[], insurance_kinds=["养老"],
                chronic_diseases=[], source_records=[{"source": "tax", "record_key": "T1"}],
                provenance={"name": {"source": "tax", "record_key": "T1", "updated_at": T0}}, updated_at=T0)
    partial = {k: v for k, v in full.items() if v is not None and v != []}
    for datum in (full, partial):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, datum)
        assert unframe(serializer(datum))[1] == buffer.getvalue()
    with pytest.raises(SchemaMismatchError, match=r"'provenance\[name\]\.source'"):
        serializer({**full, "provenance": {"name": {"source": "police", "record_key": "T1", "updated_at": T0}}})


# -- decoding failures are dead-letter candidates -----------------------------------------------


def test_unknown_schema_id_is_its_own_error(codecs: TopicCodecs, settings: HubSettings) -> None:
    topic = settings.topics.dept("tax")
    with pytest.raises(UnknownSchemaIdError):
        codecs.deserializer(topic)(frame(999_999, b"\x00"))


def test_garbage_and_trailing_bytes_are_undecodable(codecs: TopicCodecs, settings: HubSettings) -> None:
    topic = settings.topics.dept("tax")
    good = codecs.serializer(topic)(_good_datum(settings, "tax"))
    with pytest.raises(UndecodableEventError):
        codecs.deserializer(topic)(good[:-7])
    with pytest.raises(UndecodableEventError, match="trailing"):
        codecs.deserializer(topic)(good + b"\x00\x00")
    with pytest.raises(UndecodableEventError):
        codecs.deserializer(topic)(frame(struct.unpack(">I", good[1:5])[0], b"\xff" * 40))


# -- caching: the registry is asked once per schema, not per message --------------------------------


def test_registry_is_called_once_per_schema(settings: HubSettings) -> None:
    client = MockRegistryClient("mock://cache")
    sync_catalogue(mock_registry("mock://cache", client), settings)
    fresh = mock_registry("mock://cache", client)
    codecs = TopicCodecs(settings, fresh)
    events = [event_for(r, city_code="330100", ingested_at=T0) for r in sample_records()] * 20
    encoded = [codecs.encode_department_event(e) for e in events]
    after_encode = fresh.requests
    assert after_encode == 2 * len(SOURCES)  # one key and one value lookup per department topic

    reader = TopicCodecs(settings, mock_registry("mock://cache", client))
    for topic, _key, value in encoded:
        reader.decode_department_event(topic, value)
    assert reader.registry.requests == len(SOURCES)  # one schema fetch per distinct id


def test_unregistered_schema_is_reported(settings: HubSettings) -> None:
    registry = mock_registry("mock://empty")
    with pytest.raises(SchemaNotRegisteredError, match="hub schemas register"):
        TopicCodecs(settings, registry).encode_department_event(
            event_for(sample_records()[0], city_code="330100", ingested_at=T0)
        )


def test_reader_schema_fills_defaults_for_data_written_with_an_older_version(
    registry: SchemaRegistry,
) -> None:
    old_text = schema_catalog.latest("civil_affairs_event").text()
    new_json = json.loads(old_text)
    new_json["fields"].append({"name": "trace", "type": ["null", "string"], "default": None})
    registry.register("evolution-value", old_text)
    datum = _good_datum(load_settings())
    data = Serializer(registry, "evolution-value", old_text)(datum)
    decoded = Deserializer(registry, json.dumps(new_json)).decode(data)
    assert decoded.value["trace"] is None
    assert decoded.value["record"]["name"] == datum["record"]["name"]


# -- a registry that is down fails fast -----------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_closed_registry_port_gives_registry_unavailable_quickly() -> None:
    registry = SchemaRegistry(f"http://127.0.0.1:{_closed_port()}/apis/ccompat/v7", 2.0)
    started = time.monotonic()
    with pytest.raises(RegistryUnavailableError, match="unreachable"):
        registry.lookup("dept.tax.v1-value", '"string"')
    assert time.monotonic() - started < 3


def test_silent_registry_times_out_instead_of_hanging() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # accepts TCP connections in the kernel, never answers
        port = server.getsockname()[1]
        registry = SchemaRegistry(f"http://127.0.0.1:{port}/apis/ccompat/v7", 0.5)
        started = time.monotonic()
        with pytest.raises(RegistryUnavailableError, match=r"did not answer within 0\.5s"):
            registry.schema_text(1)
        assert time.monotonic() - started < 4


def test_every_event_model_field_is_in_the_envelope() -> None:
    envelope = [f["name"] for f in schema_catalog.latest("envelope").parsed_json()["fields"]]
    assert [*envelope, "record"] == list(DepartmentEvent.model_fields)


def test_envelope_times_keep_the_milliseconds_the_wire_keeps() -> None:
    ingested = datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=CST)
    event = event_for(sample_records()[0], city_code="330100", ingested_at=ingested)
    assert event.ingested_at.microsecond == 123000
    naive = event.model_copy(update={"ingested_at": datetime(2024, 6, 1, 12, 0)})
    assert DepartmentEvent.model_validate(naive.model_dump()).ingested_at.tzinfo is not None


def test_without_precheck_a_datum_fastavro_refuses_is_still_named(
    registry: SchemaRegistry, settings: HubSettings
) -> None:
    sync_catalogue(registry, settings)
    trusted = TopicCodecs(settings, registry, precheck=False)
    topic = settings.topics.dept("civil_affairs")
    good = _good_datum(settings)
    assert trusted.serializer(topic)(good) == TopicCodecs(settings, registry).serializer(topic)(good)
    bad = _good_datum(settings)
    bad["record"]["gender"] = "unknown"
    with pytest.raises(SchemaMismatchError, match=r"'record\.gender'"):
        trusted.serializer(topic)(bad)
