"""Each department event through the real broker and registry: produce, read back, decode, compare."""

from __future__ import annotations

import struct
from datetime import datetime

import pytest

from demos.roundtrip import fetch, produce, sample_records
from hub.contract.errors import UndecodableEventError, UnknownSchemaIdError
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.settings import HubSettings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_catalog import department_stem, latest
from hub.wire.schema_sync import sync_catalogue
from hub.wire.serde import Deserializer, TopicCodecs, frame
from hub.wire.topics import ensure_topics
from tests.fixtures.samples import sparse_records

pytestmark = pytest.mark.integration

INGESTED = datetime(2024, 6, 1, 12, 0, 0, 123000, tzinfo=CST)



@pytest.fixture(scope="module")
def ready(infra: HubSettings) -> HubSettings:
    ensure_topics(infra)
    with SchemaRegistry.from_settings(infra) as registry:
        sync_catalogue(registry, infra)
    return infra


def test_each_department_round_trips_through_kafka_and_the_registry(ready: HubSettings) -> None:
    records = sample_records() + sparse_records("-IT-")
    assert {r.source for r in records} == set(SOURCES)
    with SchemaRegistry.from_settings(ready) as writer_registry:
        writer = TopicCodecs(ready, writer_registry)
        events = [event_for(r, city_code=ready.city_code, ingested_at=INGESTED) for r in records]
        messages = [writer.encode_department_event(e) for e in events]
        delivered = produce(ready, messages)
        value_ids = {
            s: writer_registry.lookup(f"{ready.topics.dept(s)}-value", latest(department_stem(s)).text())
            for s in SOURCES
        }

    # A fresh wrapper has empty caches: decoding must resolve ids through GET /schemas/ids/{id}.
    with SchemaRegistry.from_settings(ready) as reader_registry:
        reader = TopicCodecs(ready, reader_registry)
        for event, msg in zip(events, fetch(ready, delivered), strict=True):
            topic = msg.topic() or ""
            assert topic == ready.topics.dept(event.source)
            assert reader.deserializer(topic, "key")(msg.key()) == event.record_key
            schema_id, decoded = reader.decode_department_event(topic, msg.value())
            assert schema_id == value_ids[event.source]
            assert decoded == event
            assert decoded.record == event.record
        # one schema fetch per distinct id (5 value schemas + the shared string key schema)
        assert reader_registry.requests <= len(SOURCES) + 1


def test_registry_ids_in_headers_are_the_ones_registered(ready: HubSettings) -> None:
    with SchemaRegistry.from_settings(ready) as registry:
        codecs = TopicCodecs(ready, registry)
        event = event_for(sample_records()[3], city_code=ready.city_code, ingested_at=INGESTED)
        _topic, key, _value = codecs.encode_department_event(event)
        key_id = registry.lookup(f"{ready.topics.dept('tax')}-key", '"string"')
        assert struct.unpack(">I", key[1:5])[0] == key_id


def test_unknown_schema_id_and_garbage_are_dead_letter_candidates(ready: HubSettings) -> None:
    with SchemaRegistry.from_settings(ready) as registry:
        deserializer = Deserializer(registry, latest("tax_event").text())
        with pytest.raises(UnknownSchemaIdError):
            deserializer(frame(2_000_000_000, b"\x00"))
        key_id = registry.lookup(f"{ready.topics.dept('tax')}-key", '"string"')
        assert key_id is not None
        with pytest.raises(UndecodableEventError):
            deserializer(frame(key_id, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
