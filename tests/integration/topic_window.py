"""Read exactly what was appended to some topics since a point in time (end offsets recorded first).

Tests share the broker and their topics; recording the end offsets before acting and reading up to the end
offsets after it gives each test exactly its own messages, without consumer groups or fresh topic names.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import Deserializer

Position = dict[tuple[str, int], int]


def _consumer(settings: HubSettings) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"it-connectors-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )


def end_offsets(settings: HubSettings, topics: list[str]) -> Position:
    consumer = _consumer(settings)
    try:
        metadata = consumer.list_topics(timeout=10)
        ends: Position = {}
        for topic in topics:
            for partition in metadata.topics[topic].partitions:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                ends[(topic, partition)] = high
        return ends
    finally:
        consumer.close()


class TopicWindow:
    """Messages of `topics` produced after construction, decoded (registry-framed Avro values)."""

    def __init__(self, settings: HubSettings, topics: list[str]) -> None:
        self.settings = settings
        self.topics = topics
        self.start = end_offsets(settings, topics)

    def read(self) -> dict[str, list[dict[str, Any]]]:
        """Per topic, the decoded values appended since the start, in partition order."""
        stop = end_offsets(self.settings, self.topics)
        wanted = {tp: (self.start[tp], end) for tp, end in stop.items() if end > self.start[tp]}
        found: dict[str, list[dict[str, Any]]] = {t: [] for t in self.topics}
        if not wanted:
            return found
        decode = Deserializer(SchemaRegistry.from_settings(self.settings))
        consumer = _consumer(self.settings)
        try:
            consumer.assign([TopicPartition(t, p, start) for (t, p), (start, _) in wanted.items()])
            remaining = {tp: end - start for tp, (start, end) in wanted.items()}
            deadline = time.monotonic() + 60
            while any(remaining.values()) and time.monotonic() < deadline:
                for msg in consumer.consume(num_messages=5000, timeout=0.5):
                    if msg.error():
                        continue
                    tp = (msg.topic() or "", msg.partition() or 0)
                    if tp in remaining and (msg.offset() or 0) < wanted[tp][1]:
                        remaining[tp] -= 1
                        value = decode(msg.value())
                        value["_key"] = msg.key()
                        found[tp[0]].append(value)
            assert not any(remaining.values()), f"messages not read back: {remaining}"
        finally:
            consumer.close()
        return found
