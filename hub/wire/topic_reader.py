"""Read every message of a topic as it stands now: partition by partition, each in offset order up to
the high watermark taken when the partition is reached (a key lives in one partition, so each key's
history comes in the order it was written). For the small topics read whole: the audit chain, the
window's credentials."""

from __future__ import annotations

from collections.abc import Iterator

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from hub.contract.errors import HubError
from hub.settings import HubSettings

__all__ = ["TopicReadError", "read_whole_topic"]


class TopicReadError(HubError):
    """The topic cannot be read whole."""


def read_whole_topic(settings: HubSettings, topic_name: str, group: str, *,
                     missing_ok: bool = False) -> Iterator[bytes | None]:
    """The raw values; a topic that does not exist yields nothing when `missing_ok`, else TopicReadError."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "socket.timeout.ms": int(settings.request_timeout_s * 1000)})
    timeout = settings.request_timeout_s
    try:
        topic = consumer.list_topics(topic_name, timeout=timeout).topics.get(topic_name)
        if missing_ok and topic is not None and topic.error is not None \
                and topic.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            return
        if topic is None or topic.error is not None:
            raise TopicReadError(f"the topic {topic_name} cannot be read")
        for partition in sorted(topic.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic_name, partition), timeout=timeout)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic_name, partition, low)])
            position = low
            while position < high:
                message = consumer.poll(timeout)
                if message is None:
                    raise TopicReadError(f"{topic_name} stopped answering at partition {partition}")
                if message.error() is not None:
                    raise TopicReadError(f"{topic_name} partition {partition}: {message.error()}")
                offset = message.offset()
                position = (position if offset is None else offset) + 1
                yield message.value()
    except KafkaException as exc:
        raise TopicReadError(f"the topic {topic_name} cannot be read: {exc}") from exc
    finally:
        consumer.close()
