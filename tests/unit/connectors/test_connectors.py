"""Connector pieces without services: event ids and encoding, checkpoints, watermarks, DB value formats."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from pydantic import BaseModel

from connectors.checkpoints import CheckpointStore
from connectors.db_sources import Watermark, redact_dsn
from connectors.db_tables import TABLES, row_fields
from connectors.delivery import DeliveryTracker
from connectors.file_connector import FileCheckpoint, _head_digest
from connectors.formats import parse_row
from connectors.formats.dialects import DIALECTS
from demos.roundtrip import sample_records
from hub.contract.errors import CheckpointError, DeliveryError, SchemaMismatchError
from hub.contract.records import TaxRecord
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.settings import HubSettings, load_settings
from hub.wire import schema_catalog
from hub.wire.avro_mapping import EVENT_ID_NAMESPACE
from hub.wire.events import EventEncoder, avro_string, epoch_millis, uuid5_text
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs


@pytest.fixture
def settings() -> HubSettings:
    return load_settings()


@pytest.fixture
def registry(settings: HubSettings) -> Iterator[SchemaRegistry]:
    """confluent-kafka's mock:// registry holding the department subjects."""
    client: Any = SchemaRegistryClient.new_client({"url": f"mock://connectors-{uuid.uuid4().hex[:6]}"})
    wrapper = SchemaRegistry("mock://connectors", 1.0, client=client)
    for source in SOURCES:
        entry = schema_catalog.topic_entry(settings, settings.topics.dept(source))
        for spec in (entry.value_subject(), entry.key_subject()):
            wrapper.register(spec.subject, spec.latest().text())
    yield wrapper
    wrapper.close()


# -- event ids and encoding ------------------------------------------------------------------------


def test_fast_uuid5_equals_the_standard_library() -> None:
    for name in (b"", b"civil_affairs\x1fMZ1\x1f1714527000000\x1fabc", "民政".encode()):
        assert uuid5_text(name) == str(uuid.uuid5(EVENT_ID_NAMESPACE, name.decode("utf-8", "surrogateescape")))


def test_avro_string_equals_fastavro() -> None:
    for text in ("", "MZ00000001", "张" * 100, "x" * 5000):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, fastavro.parse_schema("string"), text)
        assert avro_string(text) == buffer.getvalue()


def test_epoch_millis_is_exact() -> None:
    moment = datetime(2024, 5, 1, 9, 30, 0, 123999, tzinfo=CST)
    assert epoch_millis(moment) == 1714527000123


def test_encoded_events_decode_to_the_records_with_deterministic_ids(
    settings: HubSettings, registry: SchemaRegistry
) -> None:
    codecs = TopicCodecs(settings, registry)
    for record in sample_records():
        encoder = EventEncoder(settings, registry, record.source)
        first = encoder.encode(record, ingested_ms=1_717_200_000_000)
        later = encoder.encode(record, ingested_ms=1_717_300_000_000)
        assert first.event_id == later.event_id and first.value != later.value
        topic = settings.topics.dept(record.source)
        _, event = codecs.decode_department_event(topic, first.value)
        assert event.record == record and event.event_id == first.event_id
        assert event.record_key == record.record_id and event.city_code == settings.city_code
        assert event.ingested_at == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
        assert codecs.deserializer(topic, "key")(first.key) == record.record_id

        newer = record.model_copy(update={"updated_at": record.updated_at + timedelta(seconds=1)})
        assert encoder.encode(newer).event_id != first.event_id
        edited = record.model_copy(update={"record_id": record.record_id + "9"})
        assert encoder.encode(edited).event_id != first.event_id


def test_a_record_that_does_not_fit_the_schema_is_refused_naming_the_field(
    settings: HubSettings, registry: SchemaRegistry
) -> None:
    encoder = EventEncoder(settings, registry, "tax")
    updated = datetime(2024, 5, 1, tzinfo=CST)
    record = TaxRecord(record_id="T1", name="刘芳", tax_paid=Decimal("1.234"), updated_at=updated)
    with pytest.raises(SchemaMismatchError, match="tax_paid"):
        encoder.encode(record)
    with pytest.raises(SchemaMismatchError, match="cannot go to the tax topic"):
        encoder.encode(sample_records()[0])


# -- delivery bookkeeping ------------------------------------------------------------------------------


class _Failure:
    def name(self) -> str:
        return "_MSG_TIMED_OUT"

    def str(self) -> str:
        return "Local: Message timed out"


def test_a_tracker_settles_only_when_closed_and_every_message_has_an_outcome() -> None:
    tracker = DeliveryTracker()
    tracker.expect()
    tracker.expect()
    tracker.on_delivery(None, None)  # type: ignore[arg-type]
    tracker.on_delivery(None, None)  # type: ignore[arg-type]
    assert not tracker.settled
    tracker.close()
    assert tracker.settled
    tracker.raise_for_failures("rows")

    failing = DeliveryTracker()
    failing.expect()
    failing.close()
    failing.on_delivery(_Failure(), None)
    assert failing.settled
    with pytest.raises(DeliveryError, match="timed out"):
        failing.raise_for_failures("rows")


# -- checkpoints ---------------------------------------------------------------------------------------


class _Position(BaseModel):
    offset: int


def test_checkpoints_round_trip_and_refuse_a_damaged_or_foreign_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "state")
    assert store.load("file:/a.csv", _Position) is None
    store.save("file:/a.csv", _Position(offset=42))
    assert store.load("file:/a.csv", _Position) == _Position(offset=42)
    assert [p.name for p in (tmp_path / "state").iterdir() if p.name.startswith(".")] == []  # no temp left
    (path,) = [p for p in (tmp_path / "state").iterdir() if p.suffix == ".json"]
    path.write_text("{not json")
    with pytest.raises(CheckpointError, match="remove it"):
        store.load("file:/a.csv", _Position)
    store.delete("file:/a.csv")
    assert store.load("file:/a.csv", _Position) is None


def test_a_position_belongs_to_the_cluster_it_was_written_against(tmp_path: Path) -> None:
    here = CheckpointStore(tmp_path, cluster=lambda: "cluster-a")
    here.save("file:/a.csv", _Position(offset=42))
    assert here.load("file:/a.csv", _Position) == _Position(offset=42)
    wiped = CheckpointStore(tmp_path, cluster=lambda: "cluster-b")
    assert wiped.load("file:/a.csv", _Position) is None
    assert wiped.voided == ["file:/a.csv"]
    CheckpointStore(tmp_path).save("file:/b.csv", _Position(offset=7))  # written before positions named a cluster
    assert here.load("file:/b.csv", _Position) is None and here.voided == ["file:/b.csv"]


def test_one_input_is_worked_on_by_one_connector_at_a_time(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    with store.lock("file:/a.csv"):
        with pytest.raises(CheckpointError, match="another connector"), store.lock("file:/a.csv"):
            pass
        with store.lock("file:/b.csv"):
            pass
    with store.lock("file:/a.csv"):
        pass


def test_a_file_is_the_same_while_its_head_is_and_it_is_not_shorter(tmp_path: Path) -> None:
    path = tmp_path / "health.csv"
    path.write_bytes(b"head,row\n" * 10)
    with path.open("rb") as fh:
        checkpoint = FileCheckpoint(
            path=str(path), source="health", head_length=90, head_sha256=_head_digest(fh, 90),
            offset=50, scanned_size=90, updated_at=datetime.now(CST),
        )
        assert checkpoint.same_file(fh, 90)
        assert checkpoint.same_file(fh, 200)  # grown
        assert not checkpoint.same_file(fh, 40)  # truncated below the offset
    path.write_bytes(b"HEAD,row\n" * 10)
    with path.open("rb") as fh:
        assert not checkpoint.same_file(fh, 90)  # replaced


# -- DB watermarks and values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 5, 1, 9, 30, 1, 5),
        datetime(2024, 5, 1, 9, 30, tzinfo=CST),
        date(2024, 5, 1),
        1714527000000,
        Decimal("20240501.5"),
        "2024-05-01",
    ],
)
def test_a_watermark_binds_back_as_the_value_it_was_made_from(value: object) -> None:
    mark = Watermark.model_validate_json(Watermark.of(value, "K1").model_dump_json())
    assert mark.updated() == value and type(mark.updated()) is type(value) and mark.key == "K1"


def test_dsn_passwords_are_never_shown() -> None:
    assert redact_dsn("postgresql://hub:s3cret@db:5432/mz") == "postgresql://hub:***@db:5432/mz"
    assert redact_dsn("mysql://u:p%40ss@h/db") == "mysql://u:***@h/db"
    assert redact_dsn("host=db user=hub password='a b' dbname=mz") == "host=db user=hub password=*** dbname=mz"
    assert redact_dsn("postgresql://hub@db/mz") == "postgresql://hub@db/mz"


def test_table_layouts_name_real_columns_of_each_dialect() -> None:
    for source, layout in TABLES.items():
        columns = DIALECTS[source].columns
        assert layout.key_column == DIALECTS[source].required[0]
        assert layout.updated_column in columns and layout.updated_column in DIALECTS[source].required


def test_typed_db_values_are_written_in_each_departments_format() -> None:
    at = datetime(2024, 5, 1, 9, 30, 15)
    born = date(1985, 3, 12)
    civil = parse_row("civil_affairs", row_fields(TABLES["civil_affairs"], {
        "记录编号": "MZ1", "姓名": "陈晓明", "出生日期": born, "更新时间": at}))
    assert civil.updated_at == at.replace(tzinfo=CST) and civil.birth_date == born  # type: ignore[union-attr]
    health = parse_row("health", row_fields(TABLES["health"], {
        "档案号": "JK1", "患者姓名": "王秀英", "出生日期": born, "最后更新时间": at.replace(tzinfo=UTC)}))
    assert health.updated_at == at.replace(tzinfo=UTC)
    hrss = parse_row("hrss", row_fields(TABLES["hrss"], {"个人编号": "RS1", "姓名": "张伟", "变更时间": at}))
    assert hrss.updated_at == datetime(2024, 5, 1, 9, 30, tzinfo=CST)  # the department's own minute precision
    tax = parse_row("tax", row_fields(TABLES["tax"], {
        "nsrbh": "TX1", "xm": "刘芳", "nd": 2023, "nsje": Decimal("12.30"), "gxsj": 1714527000000}))
    assert tax.tax_paid == Decimal("12.30") and tax.tax_year == 2023  # type: ignore[union-attr]
    commerce = parse_row("commerce", row_fields(TABLES["commerce"], {
        "统一社会信用代码": "91330106MA2CFJ0K1B", "企业名称": "杭州云栖科技有限公司", "核准日期": date(2024, 1, 10)}))
    assert commerce.updated_at.date() == date(2024, 1, 10)


def test_a_watched_connector_stops_when_asked(settings: HubSettings, tmp_path: Path) -> None:
    from connectors.file_connector import FileConnector
    from connectors.file_watch import watch

    stop = threading.Event()
    stop.set()
    with FileConnector(settings, store=CheckpointStore(tmp_path / "s"), stop=stop) as files:
        assert watch(files, tmp_path, None, interval_s=10) == []
