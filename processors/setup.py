"""What `hub process` makes sure of before it consumes: topics, the internal topic, the schemas."""

from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from hub.contract.errors import TopicSetupError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import admin_client, ensure_topics, existing_topics


def ensure_resolve_topic(settings: HubSettings) -> int:
    """Create hub.resolve.v1 with ONE partition (the engine's single writer); return its partition count."""
    admin = admin_client(settings)
    name = settings.processors.resolve_topic
    timeout = settings.request_timeout_s
    present = existing_topics(admin, timeout)
    if name in present:
        if present[name] != 1:
            raise TopicSetupError(f"{name} has {present[name]} partitions; the resolve stage needs exactly 1")
        return 1
    config = {"cleanup.policy": "delete", "retention.ms": str(settings.topic_policy.department_retention_ms)}
    futures = admin.create_topics(
        [NewTopic(name, 1, settings.topic_policy.replication_factor, config=config)],
        operation_timeout=timeout, request_timeout=timeout)
    for future in futures.values():
        try:
            future.result(timeout=timeout + 1)
        except FutureTimeout:
            raise TopicSetupError(f"Kafka did not confirm topic {name} within {timeout:g}s") from None
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicSetupError(f"cannot create topic {name}: {exc}") from None
    return 1


def prepare(settings: HubSettings) -> None:
    """Idempotent: safe for every worker to run at start."""
    ensure_topics(settings)
    ensure_resolve_topic(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        sync_catalogue(registry, settings)
