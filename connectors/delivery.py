"""The connectors' Kafka producer and the bookkeeping of which produced messages Kafka has acknowledged.

Every connector produces with one configuration: idempotent (`enable.idempotence`, hence `acks=all` and
at most 5 requests in flight, so a retry never duplicates or reorders within a partition), batched for
throughput (`linger.ms`, `batch.num.messages`, lz4), and with bounded timeouts so a dead broker surfaces as
`DeliveryError` instead of a hang. A connector never moves its checkpoint past a message until the
`DeliveryTracker` holding that message has settled without failures.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from hub.contract.errors import BrokerUnavailableError, DeliveryError
from hub.settings import HubSettings
from hub.wire.topics import admin_client

__all__ = ["DeliveryTracker", "make_producer", "produce_patiently", "wait_for"]

logger = logging.getLogger(__name__)
_librdkafka_log = logging.getLogger("connectors.kafka")
_librdkafka_log.addHandler(logging.NullHandler())


def producer_config(settings: HubSettings, **overrides: Any) -> dict[str, Any]:
    """Idempotent, batched producer settings; message timeout bounded by the hub's request timeout."""
    timeout_ms = int(settings.request_timeout_s * 1000)
    conf: dict[str, Any] = {
        **settings.kafka_client_config(),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 20,
        "batch.num.messages": 10_000,
        "batch.size": 1_000_000,
        "compression.type": "lz4",
        "queue.buffering.max.messages": 200_000,
        "queue.buffering.max.kbytes": 131_072,
        "message.timeout.ms": 3 * timeout_ms,
        "socket.timeout.ms": timeout_ms,
        "socket.connection.setup.timeout.ms": timeout_ms,
        "logger": _librdkafka_log,
    }
    conf.update(overrides)
    return conf


def make_producer(settings: HubSettings, **overrides: Any) -> Producer:
    return Producer(producer_config(settings, **overrides))


def kafka_cluster_id(settings: HubSettings) -> str:
    """The id of the Kafka cluster at `settings.kafka_bootstrap` (what connector positions belong to)."""
    try:
        found = admin_client(settings).list_topics(timeout=settings.request_timeout_s).cluster_id
    except KafkaException as exc:
        raise BrokerUnavailableError(f"Kafka at {settings.kafka_bootstrap} did not answer: {exc}") from None
    if not found:
        raise BrokerUnavailableError(f"Kafka at {settings.kafka_bootstrap} did not name its cluster")
    return str(found)


def delivery_timeout_s(settings: HubSettings) -> float:
    """How long to wait for acknowledgements: the message timeout plus a margin for the last callbacks."""
    return 3 * settings.request_timeout_s + 5.0


class DeliveryTracker:
    """Counts the acknowledgements of one group of messages (a file batch, an HTTP request, a DB batch).

    `on_delivery` is the producer's delivery callback; it may run on whichever thread polls the producer,
    hence the lock. The group is `settled` once it is `close`d and every message it sent has an outcome.
    """

    __slots__ = ("_done", "_lock", "acked", "closed", "error", "failed", "sent")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.sent = 0
        self.acked = 0
        self.failed = 0
        self.closed = False
        self.error: str | None = None

    def expect(self) -> None:
        # No lock: only the producing thread counts up, and only before `close`, after which `_check` runs.
        self.sent += 1

    def unexpect(self) -> None:
        """Take back an `expect` whose produce call raised (the message never entered the queue)."""
        with self._lock:
            self.sent -= 1
            self._check()

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        with self._lock:
            if err is None:
                self.acked += 1
            else:
                self.failed += 1
                if self.error is None:
                    self.error = f"{err.name()}: {err.str()}"
            self._check()

    def close(self) -> None:
        """No more messages will join this group."""
        with self._lock:
            self.closed = True
            self._check()

    def _check(self) -> None:
        if self.closed and self.acked + self.failed >= self.sent:
            self._done.set()

    @property
    def settled(self) -> bool:
        return self._done.is_set()

    def raise_for_failures(self, what: str) -> None:
        if self.failed:
            raise DeliveryError(f"Kafka refused {self.failed} of {self.sent} {what} ({self.error})")


def wait_for(producer: Producer, tracker: DeliveryTracker, timeout_s: float, what: str) -> None:
    """Serve delivery callbacks until the tracker settles; DeliveryError on a failure or the timeout."""
    tracker.close()
    deadline = time.monotonic() + timeout_s
    while not tracker.settled:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeliveryError(
                f"Kafka acknowledged {tracker.acked} of {tracker.sent} {what} within {timeout_s:g}s"
            )
        producer.poll(min(remaining, 0.05))
    tracker.raise_for_failures(what)


def produce_patiently(
    producer: Producer, timeout_s: float, topic: str, key: bytes | None, value: bytes, tracker: DeliveryTracker,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Produce one message; when the local queue is full, serve callbacks until there is room (bounded)."""
    tracker.expect()
    sent: list[tuple[str, str | bytes | None]] | None = [(k, v) for k, v in headers] if headers else None
    try:
        producer.produce(topic, value, key, on_delivery=tracker.on_delivery, headers=sent)
        return
    except BufferError:
        pass
    except BaseException:
        tracker.unexpect()
        raise
    deadline = time.monotonic() + timeout_s
    while True:
        producer.poll(0.05)
        try:
            producer.produce(topic, value, key, on_delivery=tracker.on_delivery, headers=sent)
            return
        except BufferError:
            if time.monotonic() > deadline:
                tracker.unexpect()
                raise DeliveryError(
                    f"the producer queue stayed full for {timeout_s:g}s: Kafka is not taking messages"
                ) from None
        except BaseException:
            tracker.unexpect()
            raise
