"""Write a few records to one hub topic and wait for the broker's acknowledgement of every one.

The window's two Kafka outputs (the audit chain, the counter's reports) need the same thing: a
registry-framed Avro value per record, a key, and an answer only once Kafka has them all, within
the window's audit timeout. The producer and the registry lookup are made on first use, so `hub
serve` starts and answers while Kafka or the registry are down.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from connectors.delivery import make_producer
from hub.contract.errors import DeliveryError, HubError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs

__all__ = ["TopicWriter"]


class TopicWriter:
    """`write` produces (key, Avro datum) pairs to `topic` and returns once all are acknowledged."""

    def __init__(self, settings: HubSettings, topic: str, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None, auto_register: bool = False) -> None:
        self.settings = settings
        self.auto_register = auto_register
        self.topic = topic
        self._producer = producer
        self._registry = registry
        self._codecs: TopicCodecs | None = None
        self._lock = threading.Lock()

    def _ready(self) -> tuple[Producer, TopicCodecs]:
        with self._lock:
            if self._producer is None:
                self._producer = make_producer(self.settings, **{"linger.ms": 2})
            if self._codecs is None:
                registry = self._registry or SchemaRegistry.from_settings(self.settings)
                self._codecs = TopicCodecs(self.settings, registry, precheck=False,
                                           auto_register=self.auto_register)
            return self._producer, self._codecs

    def write(self, records: Sequence[tuple[bytes, dict[str, Any]]]) -> None:
        """DeliveryError when a record cannot be encoded, queued or acknowledged in time."""
        try:
            producer, codecs = self._ready()
            encode = codecs.serializer(self.topic)
            values = [(key, encode(datum)) for key, datum in records]
        except (HubError, KafkaException, OSError) as exc:
            raise DeliveryError(f"records for {self.topic} not encodable: {exc}") from exc
        failures: list[str] = []

        def delivered(error: KafkaError | None, _message: Any) -> None:
            if error is not None:
                failures.append(str(error))

        try:
            for key, value in values:
                producer.produce(self.topic, value=value, key=key, on_delivery=delivered)
        except (KafkaException, BufferError) as exc:
            raise DeliveryError(f"records for {self.topic} not queued: {exc}") from exc
        left = producer.flush(self.settings.window.audit_timeout_s)
        if left or failures:
            raise DeliveryError(f"Kafka did not acknowledge {left or len(failures)} record(s) of {self.topic}")

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(self.settings.request_timeout_s)
