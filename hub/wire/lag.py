"""Consumer lag of a group: events on its topics that it has not committed yet.

Lag per partition is the high watermark minus the committed offset (from the low watermark when
nothing is committed yet, as `auto.offset.reset=earliest` would read).
"""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import Consumer, TopicPartition

from hub.contract.errors import BrokerUnavailableError
from hub.settings import HubSettings


def group_lag(settings: HubSettings, group: str, topics: Iterable[str]) -> int:
    """Total uncommitted events of `group` over `topics` (topics that do not exist count 0)."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": group,
                         "enable.auto.commit": False})
    timeout = settings.request_timeout_s
    try:
        total = 0
        metadata = consumer.list_topics(timeout=timeout)
        for topic in topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                continue
            partitions = [TopicPartition(topic, p) for p in sorted(found.partitions)]
            for tp in consumer.committed(partitions, timeout=timeout):
                low, high = consumer.get_watermark_offsets(tp, timeout=timeout)
                total += high - (tp.offset if tp.offset >= 0 else low)
        return total
    except Exception as exc:  # librdkafka raises KafkaException with a broker error inside
        raise BrokerUnavailableError(f"cannot read consumer lag of {group}: {exc}") from exc
    finally:
        consumer.close()
