"""The processors' backlog in Kafka: what a consumer group has not committed yet, read and committed
directly with confluent-kafka (the bootstrap's side of the offsets; faust keeps its own while it runs).

A span is one partition from the group's position to the high watermark captured when the span was
taken: events produced later lie beyond it and are left to the incremental path, which resumes at the
span's end once it is committed. Positions follow Kafka's convention (the offset of the next event to
read), and a partition the group never committed starts at its low watermark, as faust's
`auto.offset.reset=earliest` would.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from hub.contract.errors import BrokerUnavailableError
from hub.settings import HubSettings
from hub.wire.offsets import Span, group_spans, set_group_offsets

__all__ = ["Span", "commit_spans", "group_members", "group_spans", "read_spans"]

logger = logging.getLogger(__name__)



def group_members(admin: AdminClient, group: str, timeout: float) -> int:
    """How many consumers are members of the group now (a running `hub process` is one)."""
    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot describe consumer group {group}: {exc}") from None
    return len(described.members)


def read_spans(settings: HubSettings, spans: Iterable[Span], *, patience_s: float = 60.0) -> Iterator[Message]:
    """Every message of the spans (and none beyond them), partition by partition in offset order.

    Raises BrokerUnavailableError when no message arrives for `patience_s` while some are still due.
    """
    due = {(s.topic, s.partition): s.end for s in spans if s.events > 0}
    if not due:
        return
    consumer = Consumer({**settings.kafka_client_config(), "group.id": "hub.processors.bootstrap",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "enable.partition.eof": False})
    try:
        consumer.assign([TopicPartition(s.topic, s.partition, s.start) for s in spans if s.events > 0])
        last_progress = time.monotonic()
        while due:
            messages = consumer.consume(10_000, timeout=0.5)
            if not messages:
                _drop_reached(consumer, due)  # a gap at the end (compaction, transaction markers)
                if time.monotonic() - last_progress > patience_s:
                    raise BrokerUnavailableError(f"no message from Kafka for {patience_s:g}s with "
                                                 f"{len(due)} partition(s) still to read")
                continue
            last_progress = time.monotonic()
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise BrokerUnavailableError(f"reading the backlog: {error}")
                where = (message.topic() or "", message.partition() or 0)
                end = due.get(where)
                offset = message.offset() or 0
                if end is None or offset >= end:
                    continue
                yield message
                if offset + 1 >= end:
                    del due[where]
                    consumer.pause([TopicPartition(*where)])
    finally:
        consumer.close()


def _drop_reached(consumer: Consumer, due: dict[tuple[str, int], int]) -> None:
    for tp in consumer.position([TopicPartition(t, p) for t, p in due]):
        if tp.offset >= 0 and tp.offset >= due[(tp.topic, tp.partition)]:
            del due[(tp.topic, tp.partition)]
            consumer.pause([TopicPartition(tp.topic, tp.partition)])


def commit_spans(admin: AdminClient, group: str, spans: Iterable[Span], timeout: float) -> None:
    """Set the group's committed offsets to the spans' ends (the group must have no member now)."""
    set_group_offsets(admin, group, [TopicPartition(s.topic, s.partition, s.end) for s in spans], timeout,
                      "the bootstrap's ends")
