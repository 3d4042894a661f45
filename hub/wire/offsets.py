"""A consumer group's offsets read and set directly with confluent-kafka (lag, the bootstrap, the rebuild).

A span is one partition from the group's position to the high watermark captured when the span was
taken. Positions follow Kafka's convention (the offset of the next event to read), and a partition the
group never committed starts at its low watermark, as `auto.offset.reset=earliest` would read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from hub.contract.errors import BrokerUnavailableError
from hub.settings import HubSettings

__all__ = ["Span", "group_spans", "set_group_offsets"]


@dataclass(frozen=True)
class Span:
    """Offsets [start, end) of one partition."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def events(self) -> int:
        return max(self.end - self.start, 0)


def group_spans(settings: HubSettings, group: str, topics: Iterable[str]) -> list[Span]:
    """Each partition of `topics` from the group's committed offset (else the low watermark) to the high
    watermark now; topics that do not exist have no spans."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": group, "enable.auto.commit": False})
    timeout = settings.request_timeout_s
    try:
        metadata = consumer.list_topics(timeout=timeout)
        spans: list[Span] = []
        for topic in topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                continue
            partitions = [TopicPartition(topic, p) for p in sorted(found.partitions)]
            for tp in consumer.committed(partitions, timeout=timeout):
                low, high = consumer.get_watermark_offsets(tp, timeout=timeout)
                spans.append(Span(topic, tp.partition, tp.offset if tp.offset >= 0 else low, high))
        return spans
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot read the offsets of {group}: {exc}") from None
    finally:
        consumer.close()


def set_group_offsets(admin: AdminClient, group: str, partitions: list[TopicPartition], timeout: float,
                      what: str) -> None:
    """Set the group's committed offsets (the group must have no member now); `what` names the reason in
    the error."""
    if not partitions:
        return
    request = ConsumerGroupTopicPartitions(group, partitions)
    try:
        admin.alter_consumer_group_offsets([request], request_timeout=timeout)[group].result(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot set {group} to {what}: {exc}") from None
