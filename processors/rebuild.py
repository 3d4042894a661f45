"""`hub rebuild`: Redis is a cache of Kafka — rebuild the read model from the department topics.

The department topics are the source of truth (every master record is a pure function of the latest
version of each department record), so a lost or damaged read model is rebuilt by reprocessing them.
The read model's keys are deleted; the service window's own keys (credentials, disclosures, reports)
and the ops figures are kept, as they are not derived from the department topics. The processors'
consumer group is set back to the start of every department topic and to the end of the internal
hub.resolve.v1 topic (stage 1 publishes it again), and the next `hub process` resolves everything
again. Writes are idempotent: the master topics receive the same keys and values they already hold.

It refuses while the processors run (a member of their group), because a running worker keeps its
engine state in memory and would write it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from redis import Redis
from redis.exceptions import RedisError

from hub.contract.errors import BrokerUnavailableError, HubError
from hub.contract.sources import SOURCES
from hub.settings import HubSettings
from hub.wire.topics import admin_client

__all__ = ["RebuildPlan", "RebuildRefusedError", "rebuild"]

logger = logging.getLogger(__name__)


class RebuildRefusedError(HubError):
    """The read model cannot be rebuilt now (the processors are running, or Redis did not answer)."""


@dataclass(frozen=True)
class RebuildPlan:
    """What a rebuild did: read-model keys deleted, and the offsets the processors will start from."""

    deleted_keys: int
    kept_keys: int
    offsets: dict[str, dict[int, int]]  # topic -> partition -> offset the group resumes at


def rebuild(settings: HubSettings, *, redis: Redis | None = None, admin: AdminClient | None = None) -> RebuildPlan:
    """Empty the read model and set the processors back to the start of the department topics."""
    admin = admin or admin_client(settings)
    group = settings.processors.app_id
    _refuse_while_running(admin, group, settings.request_timeout_s)
    offsets = _start_offsets(settings, admin)
    client = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    keep = (settings.window.redis_prefix, f"{settings.processors.redis_prefix}ops:")
    deleted, kept = _delete_read_model(client, settings.processors.redis_prefix, keep)
    _reset_group(admin, group, offsets, settings.request_timeout_s)
    logger.info("read model emptied (%d keys, %d window keys kept); %s will reprocess from the start",
                deleted, kept, group)
    return RebuildPlan(deleted, kept, offsets)


def _refuse_while_running(admin: AdminClient, group: str, timeout: float) -> None:
    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot describe consumer group {group}: {exc}") from None
    if described.members:
        raise RebuildRefusedError(f"{len(described.members)} processor(s) of {group} are running: stop "
                                  "`hub process` first (its engine state would be written back)")


def _start_offsets(settings: HubSettings, admin: AdminClient) -> dict[str, dict[int, int]]:
    """Department topics from their low watermark; the internal resolve topic from its end."""
    from confluent_kafka import Consumer

    consumer = Consumer({**settings.kafka_client_config(), "group.id": "hub.rebuild.probe",
                         "enable.auto.commit": False})
    timeout = settings.request_timeout_s
    try:
        metadata = consumer.list_topics(timeout=timeout)
        wanted = {settings.topics.dept(s): "low" for s in SOURCES}
        wanted[settings.processors.resolve_topic] = "high"
        offsets: dict[str, dict[int, int]] = {}
        for topic, end in wanted.items():
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                continue
            offsets[topic] = {}
            for partition in sorted(found.partitions):
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
                offsets[topic][partition] = low if end == "low" else high
        return offsets
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot read the topics' offsets: {exc}") from None
    finally:
        consumer.close()


def _delete_read_model(redis: Redis, prefix: str, keep: tuple[str, ...]) -> tuple[int, int]:
    """Delete every key under `prefix` but those under `keep` (the window's, the ops figures); (deleted, kept)."""
    deleted = kept = 0
    try:
        batch: list[bytes] = []
        for key in redis.scan_iter(match=f"{prefix}*", count=1000):
            text = key.decode() if isinstance(key, bytes) else str(key)
            if text.startswith(keep):
                kept += 1
                continue
            batch.append(key)
            if len(batch) >= 1000:
                deleted += int(redis.delete(*batch))
                batch = []
        if batch:
            deleted += int(redis.delete(*batch))
    except (RedisError, OSError) as exc:
        raise RebuildRefusedError(f"Redis did not answer: {type(exc).__name__}") from None
    return deleted, kept


def _reset_group(admin: AdminClient, group: str, offsets: dict[str, dict[int, int]], timeout: float) -> None:
    partitions = [TopicPartition(topic, partition, offset)
                  for topic, parts in sorted(offsets.items()) for partition, offset in sorted(parts.items())]
    if not partitions:
        return
    request = ConsumerGroupTopicPartitions(group, partitions)
    try:
        admin.alter_consumer_group_offsets([request], request_timeout=timeout)[group].result(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot set {group} back to the start: {exc}") from None
