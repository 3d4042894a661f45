"""What `hub process` makes sure of before it consumes: topics, the internal topic, the schemas."""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewPartitions, NewTopic

from hub.contract.errors import TopicSetupError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import admin_client, ensure_topics, existing_topics

logger = logging.getLogger(__name__)


def ensure_resolve_topic(settings: HubSettings) -> int:
    """Create hub.resolve.v1 with one partition per served city (each city's engine has one writer); return
    its partition count. A city appended to `cities` adds a partition to an existing topic (the others keep
    theirs); a topic with more partitions than cities is refused (a city was removed or the list reordered)."""
    admin = admin_client(settings)
    name = settings.processors.resolve_topic
    wanted = len(settings.served_cities)
    timeout = settings.request_timeout_s
    present = existing_topics(admin, timeout)
    if name in present:
        if present[name] > wanted:
            raise TopicSetupError(f"{name} has {present[name]} partitions, one per city needs {wanted}: "
                                  "a city's position in `cities` is its partition, so cities are only appended")
        if present[name] < wanted:
            _wait(admin.create_partitions([NewPartitions(name, wanted)], operation_timeout=timeout,
                                          request_timeout=timeout), name, timeout, "add partitions to")
            logger.warning("%s: %d partition(s) added for the cities appended to `cities`", name,
                           wanted - present[name])
        return wanted
    config = {"cleanup.policy": "delete", "retention.ms": str(settings.topic_policy.department_retention_ms)}
    _wait(admin.create_topics([NewTopic(name, wanted, settings.topic_policy.replication_factor, config=config)],
                              operation_timeout=timeout, request_timeout=timeout), name, timeout, "create")
    return wanted


def _wait(futures: dict[str, Any], name: str, timeout: float, what: str) -> None:
    for future in futures.values():
        try:
            future.result(timeout=timeout + 1)
        except FutureTimeout:
            raise TopicSetupError(f"Kafka did not confirm topic {name} within {timeout:g}s") from None
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicSetupError(f"cannot {what} topic {name}: {exc}") from None


def prepare(settings: HubSettings) -> None:
    """Idempotent: safe for every worker to run at start."""
    ensure_topics(settings)
    ensure_resolve_topic(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        sync_catalogue(registry, settings)
