"""Credentials kept in Kafka (`window.credentials.v1`), so Redis is a cache of Kafka for them too.

The rule: a credential change (create, rotate, revoke) is acknowledged by the broker before Redis
holds it, and the command fails when Kafka cannot take it — a credential only Redis knows would be
lost with Redis. The topic is compacted and keyed by credential id, so it keeps the latest state of
every credential; the state holds the key's SHA-256, never the key. `hub credentials restore` (and
`hub rebuild`) write that state back into Redis: the same keys work again, revoked ones stay revoked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

from confluent_kafka import KafkaException, Producer

from hub.contract.errors import DeliveryError, HubError
from hub.settings import HubSettings
from hub.window.credentials import Credential, CredentialStore
from hub.window.topic_writer import TopicWriter
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import Deserializer
from hub.wire.topic_reader import TopicReadError, read_whole_topic
from hub.wire.topics import ensure_topics

__all__ = ["CredentialJournal", "CredentialTopicError", "read_credentials", "restore_credentials"]


class CredentialTopicError(HubError):
    """The credentials topic cannot be read."""


class CredentialJournal:
    """Writes a credential's new state to the topic and returns once the broker acknowledged it."""

    def __init__(self, settings: HubSettings, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None) -> None:
        self.settings = settings
        # registers its schema on first use: `hub credentials create` may come before `hub schemas register`
        self.writer = TopicWriter(settings, settings.topics.credentials, producer=producer, registry=registry,
                                  auto_register=True)
        self._topic_ready = False

    async def __call__(self, credential: Credential) -> None:
        datum = {"credential_id": credential.id, "credential_json": credential.model_dump_json(),
                 "changed_at": datetime.now(UTC)}
        await asyncio.to_thread(self._write, [(credential.id.encode(), datum)])

    def _write(self, records: list[tuple[bytes, dict[str, object]]]) -> None:
        if not self._topic_ready:  # compacted, as the policy says: never a broker's auto-created default
            try:
                ensure_topics(self.settings, only={self.settings.topics.credentials})
            except (HubError, KafkaException) as exc:
                raise DeliveryError(f"the credentials topic cannot be made ready: {exc}") from exc
            self._topic_ready = True
        self.writer.write(records)

    def close(self) -> None:
        self.writer.close()


def _states(settings: HubSettings, registry: SchemaRegistry | None) -> Iterator[Credential]:
    deserializer = Deserializer(registry or SchemaRegistry.from_settings(settings))
    try:  # a missing topic: no credential was ever created on this cluster
        for raw in read_whole_topic(settings, settings.topics.credentials, "hub.credentials.restore",
                                    missing_ok=True):
            value = deserializer(raw)
            if isinstance(value, dict) and isinstance(value.get("credential_json"), str):
                yield Credential.model_validate_json(value["credential_json"])
    except TopicReadError as exc:
        raise CredentialTopicError(f"the credentials topic cannot be read: {exc}") from exc


def read_credentials(settings: HubSettings, *, registry: SchemaRegistry | None = None) -> dict[str, Credential]:
    """The latest state of every credential on the topic (a key lives in one partition, in order)."""
    return {credential.id: credential for credential in _states(settings, registry)}


async def restore_credentials(store: CredentialStore, credentials: dict[str, Credential]) -> int:
    """Write these states into Redis (replacing what Redis holds for them); returns how many."""
    for credential in credentials.values():
        await store.put(credential)
    return len(credentials)
