"""`hub topics ensure`: create the hub's topics with the declared policy, idempotently.

Partitions and retention come from settings.topic_policy; what kind of data a topic holds (from
the schema catalogue) decides which retention applies and whether it is compacted. An existing
topic is never altered: a difference from the policy is reported for operations to decide.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from hub.contract.errors import BrokerUnavailableError, TopicSetupError
from hub.settings import HubSettings, TopicPolicy
from hub.wire.schema_catalog import TopicKind, topics

_librdkafka_log = logging.getLogger("hub.kafka")  # the logger librdkafka clients are handed
_librdkafka_log.addHandler(logging.NullHandler())  # librdkafka's reconnect chatter; our errors say what failed

#: Kept for good: the lifecycle topic is the history of why master ids changed.
FOREVER = -1


@dataclass(frozen=True)
class TopicPlan:
    name: str
    kind: TopicKind
    partitions: int
    replication_factor: int
    config: dict[str, str]


@dataclass(frozen=True)
class TopicOutcome:
    name: str
    status: str  # "created" or "exists"
    partitions: int
    drift: list[str] = field(default_factory=list)


def _config_for(kind: TopicKind, policy: TopicPolicy) -> dict[str, str]:
    if kind in (TopicKind.MASTER, TopicKind.FEEDBACK, TopicKind.CREDENTIALS):  # the latest state per key is read
        return {"cleanup.policy": "compact"}
    retention = {
        TopicKind.DEPARTMENT: policy.department_retention_ms,
        TopicKind.DEAD_LETTER: policy.dead_letter_retention_ms,
        TopicKind.CONFLICTS: policy.dead_letter_retention_ms,  # reviewed by data quality like dead letters
        TopicKind.AUDIT: policy.audit_retention_ms,
        TopicKind.LIFECYCLE: FOREVER,
    }[kind]
    return {"cleanup.policy": "delete", "retention.ms": str(retention)}


def plan(settings: HubSettings) -> list[TopicPlan]:
    """Every topic the hub needs, with the partitions and config the policy asks for."""
    policy = settings.topic_policy
    return [
        TopicPlan(e.topic, e.kind, policy.partitions, policy.replication_factor, _config_for(e.kind, policy))
        for e in topics(settings)
    ]


def admin_client(settings: HubSettings) -> AdminClient:
    timeout_ms = int(settings.request_timeout_s * 1000)
    conf: dict[str, Any] = {
        **settings.kafka_client_config(),
        "socket.timeout.ms": timeout_ms,
        "socket.connection.setup.timeout.ms": timeout_ms,
        "logger": _librdkafka_log,
    }
    return AdminClient(conf)


def existing_topics(admin: AdminClient, timeout_s: float) -> dict[str, int]:
    """Topic name -> partition count, or BrokerUnavailableError when the broker does not answer."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise BrokerUnavailableError(
            f"Kafka did not answer within {timeout_s:g}s ({_describe(exc)})"
        ) from None
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


def ensure_topics(settings: HubSettings, admin: AdminClient | None = None, *,
                  only: Collection[str] | None = None) -> list[TopicOutcome]:
    """Create the missing topics (`only` these, when given); report existing ones (with any drift from the
    policy) untouched."""
    admin = admin or admin_client(settings)
    timeout = settings.request_timeout_s
    planned = [p for p in plan(settings) if only is None or p.name in only]
    present = existing_topics(admin, timeout)
    missing = [p for p in planned if p.name not in present]
    created: set[str] = set()
    if missing:
        futures = admin.create_topics(
            [NewTopic(p.name, p.partitions, p.replication_factor, config=p.config) for p in missing],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        for name, future in futures.items():
            try:
                future.result(timeout=timeout + 1)
                created.add(name)
            except FutureTimeout:
                raise BrokerUnavailableError(
                    f"Kafka did not confirm topic {name} within {timeout:g}s"
                ) from None
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # lost a race: fine
                    raise TopicSetupError(f"cannot create topic {name}: {_describe(exc)}") from None
        present = existing_topics(admin, timeout) | {p.name: p.partitions for p in missing}
    drift = _drift(admin, [p for p in planned if p.name not in created], present, timeout)
    return [
        TopicOutcome(
            p.name,
            "created" if p.name in created else "exists",
            present.get(p.name, 0),
            drift.get(p.name, []),
        )
        for p in planned
    ]


def _drift(
    admin: AdminClient, plans: list[TopicPlan], present: dict[str, int], timeout: float
) -> dict[str, list[str]]:
    """Per existing topic, how it differs from the policy (partitions, cleanup, retention)."""
    if not plans:
        return {}
    found: dict[str, list[str]] = {}
    for p in plans:
        if present.get(p.name, p.partitions) != p.partitions:
            found.setdefault(p.name, []).append(f"partitions={present[p.name]} (policy {p.partitions})")
    resources = [ConfigResource(ConfigResource.Type.TOPIC, p.name) for p in plans]
    try:
        futures = admin.describe_configs(resources, request_timeout=timeout)
        configs: dict[str, dict[str, Any]] = {
            res.name: fut.result(timeout=timeout + 1) for res, fut in futures.items()
        }
    except (KafkaException, FutureTimeout):
        return found  # drift is advisory; the topics exist, which is what ensure promised
    for p in plans:
        actual = configs.get(p.name, {})
        for key, wanted in p.config.items():
            entry = actual.get(key)
            value = getattr(entry, "value", None)
            if value is not None and value != wanted:
                found.setdefault(p.name, []).append(f"{key}={value} (policy {wanted})")
    return found


def _describe(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    if isinstance(error, KafkaError):
        return f"{error.name()}: {error.str()}"
    return str(exc)
