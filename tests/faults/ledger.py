"""What a city's files must leave in Kafka: every row's event id, or its dead letter (file, byte offset).

The rule checked: no input row is missing. A good row becomes one event whose id is a pure function of
its content (`hub.wire.events`: a row re-sent after a crash carries the same id), a bad row one dead
letter that names its file and byte offset. So the distinct event ids on the department topics must be
exactly those of the files' good rows, and the connector's dead letters exactly the bad rows; the
message counts say how many rows were sent twice (only after a connector crash, never lost).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from connectors.formats import detect_source, read_file
from hub.contract.errors import SchemaMismatchError
from hub.contract.sources import SOURCES
from hub.settings import HubSettings
from hub.wire.events import EventEncoder
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs

Origin = tuple[str, int]  # (file path as the connector names it, byte offset of the row)


@dataclass(frozen=True)
class Ledger:
    """Rows of the files: the event ids of the good ones, the origins of the bad ones."""

    rows: int
    event_ids: frozenset[str]
    good_rows: int
    bad: frozenset[Origin]


@dataclass(frozen=True)
class Delivered:
    """What the department and dead-letter topics hold after a run."""

    event_ids: frozenset[str]
    events: int  # messages on the department topics, duplicates included
    bad: frozenset[Origin]
    dead_letters: int  # the connector's dead letters, duplicates included (the processors' are not rows)

    def missing(self, ledger: Ledger) -> tuple[set[str], set[Origin]]:
        return set(ledger.event_ids - self.event_ids), set(ledger.bad - self.bad)

    def unexpected(self, ledger: Ledger) -> tuple[set[str], set[Origin]]:
        return set(self.event_ids - ledger.event_ids), set(self.bad - ledger.bad)


def ledger_of(settings: HubSettings, files: Iterable[Path]) -> Ledger:
    """Read every file as the file connector does and name each row's outcome (needs the schemas registered)."""
    ids: set[str] = set()
    bad: set[Origin] = set()
    rows = good = 0
    with SchemaRegistry.from_settings(settings) as registry:
        encoders = {s: EventEncoder(settings, registry, s) for s in SOURCES}
        for path in files:
            source = detect_source(path)
            for row in read_file(path, source):
                rows += 1
                if row.record is not None:
                    try:
                        ids.add(encoders[source].encode(row.record).event_id)
                        good += 1
                        continue
                    except SchemaMismatchError:
                        pass
                bad.add((str(path), row.offset))
    return Ledger(rows, frozenset(ids), good, frozenset(bad))


def _read(settings: HubSettings, topics: list[str]) -> list[tuple[str, bytes]]:
    """Every message of `topics` from the low to the high watermark read now."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": f"faults-ledger-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        metadata = consumer.list_topics(timeout=settings.request_timeout_s)
        ends: dict[tuple[str, int], int] = {}
        assign: list[TopicPartition] = []
        for topic in topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                continue
            for partition in found.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                if high > low:
                    ends[(topic, partition)] = high
                    assign.append(TopicPartition(topic, partition, low))
        consumer.assign(assign)
        out: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + 120
        while ends:
            assert time.monotonic() < deadline, f"could not read {sorted(ends)} to their end"
            for msg in consumer.consume(2000, timeout=1.0):
                if msg.error() is not None:
                    continue
                where = (msg.topic() or "", msg.partition() or 0)
                out.append((where[0], msg.value() or b""))
                if where in ends and (msg.offset() or 0) + 1 >= ends[where]:
                    del ends[where]
        return out
    finally:
        consumer.close()


def delivered(settings: HubSettings) -> Delivered:
    """Decode the department topics (event ids) and the dead-letter topics (the connector's origins)."""
    dept = [settings.topics.dept(s) for s in SOURCES]
    dlq = [settings.topics.dlq(s) for s in SOURCES]
    ids: set[str] = set()
    bad: set[Origin] = set()
    events = dead = 0
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        for topic, value in _read(settings, dept):
            ids.add(codecs.decode_department_event(topic, value)[1].event_id)
            events += 1
        for topic, value in _read(settings, dlq):
            origin = codecs.deserializer(topic)(value)["origin"]
            if "byte_offset" in origin:  # a file row; a processor's dead letter names a Kafka position
                bad.add((origin["path"], origin["byte_offset"]))
                dead += 1
    return Delivered(frozenset(ids), events, frozenset(bad), dead)
