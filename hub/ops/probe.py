"""Reads what the status rules and lag seconds need from Kafka: committed offsets, log ends, member counts,
and the timestamp of the oldest unprocessed record of every lagging partition.

Lag in seconds is the age of the record at the committed offset (the oldest one not yet processed), read
with a throwaway consumer that assigns partitions without joining any group, so it commits nothing and
shows up nowhere. At the hub's scale that is one fetch per lagging partition, cheap and exact, where the
exporters interpolate from sampled end offsets (kafka-lag-exporter) or give no time at all.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from hub.contract.errors import BrokerUnavailableError
from hub.ops.groups import ExpectedGroup
from hub.settings import HubSettings
from hub.wire.topics import admin_client

T = TypeVar("T")

logger = logging.getLogger(__name__)

TP = tuple[str, int]


@dataclass(frozen=True, slots=True)
class PartitionState:
    topic: str
    partition: int
    committed: int | None
    low: int
    end: int
    oldest_ms: int | None  # timestamp of the record at the committed offset, when lagging and readable

    @property
    def lag(self) -> int:
        start = self.low if self.committed is None else self.committed
        return max(0, self.end - start)


@dataclass(slots=True)
class GroupState:
    group: str
    state: str  # the broker's view: STABLE, EMPTY, DEAD (unknown), ...
    members: int
    partitions: list[PartitionState] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TopicEnds:
    low: dict[TP, int]
    end: dict[TP, int]
    latest_ms: dict[str, int | None]  # newest record timestamp per topic (None: empty)


#: How often a request refused with a retriable error (a partition whose leader is still being elected,
#: a group coordinator still loading: a fresh or restarting cluster) is asked again, and the pause between.
RETRIES, RETRY_PAUSE_S = 5, 0.5


#: Errors of a cluster still settling, whatever librdkafka's own retriable flag says of them.
_SETTLING = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                       KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                       KafkaError.NOT_COORDINATOR, KafkaError.UNKNOWN_TOPIC_OR_PART})


class _Retriable(Exception):
    """A request Kafka refused for now (its error says retriable): ask again."""


def _wait(future: Future[Any], timeout: float, what: str) -> Any:
    try:
        return future.result(timeout=timeout + 1)
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if isinstance(error, KafkaError) and (error.retriable() or error.code() in _SETTLING):
            raise _Retriable(str(exc)) from None
        raise BrokerUnavailableError(f"Kafka refused {what}: {exc}") from None
    except TimeoutError:
        raise BrokerUnavailableError(f"Kafka did not answer {what} within {timeout:g}s") from None


def _again(request: Callable[[], T], what: str) -> T:
    """`request`, asked again while Kafka refuses it with a retriable error (then BrokerUnavailableError)."""
    for attempt in range(RETRIES):
        try:
            return request()
        except _Retriable as exc:
            if attempt == RETRIES - 1:
                raise BrokerUnavailableError(f"Kafka kept refusing {what}: {exc}") from None
            time.sleep(RETRY_PAUSE_S)
    raise AssertionError("unreachable")


def partitions_of(admin: AdminClient, topics: Iterable[str], timeout: float) -> dict[str, list[int]]:
    """Partitions of each topic that exists (a missing topic is left out)."""
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"Kafka did not answer within {timeout:g}s ({exc})") from None
    found: dict[str, list[int]] = {}
    for topic in topics:
        t = metadata.topics.get(topic)
        if t is not None and t.error is None:
            found[topic] = sorted(t.partitions)
    return found


def topic_ends(admin: AdminClient, parts: dict[str, list[int]], timeout: float,
               *, newest: bool = False) -> TopicEnds:
    """Low and high watermarks of every partition; with `newest`, each topic's newest record timestamp."""
    tps = [TopicPartition(t, p) for t, ps in parts.items() for p in ps]
    low: dict[TP, int] = {}
    end: dict[TP, int] = {}
    latest: dict[str, int | None] = dict.fromkeys(parts)
    if not tps:
        return TopicEnds(low, end, latest)
    specs = [("low", OffsetSpec.earliest()), ("end", OffsetSpec.latest())]
    if newest:
        specs.append(("max", OffsetSpec.max_timestamp()))
    for name, spec in specs:
        def ask(spec: OffsetSpec = spec, name: str = name) -> dict[TopicPartition, Any]:
            futures = admin.list_offsets({tp: spec for tp in tps}, request_timeout=timeout)
            return {tp: _wait(future, timeout, f"the {name} offsets of {tp.topic}") for tp, future in futures.items()}

        for tp, info in _again(ask, f"the {name} offsets").items():
            key = (tp.topic, tp.partition)
            if name == "low":
                low[key] = info.offset
            elif name == "end":
                end[key] = info.offset
            elif info.offset >= 0 and info.timestamp >= 0:
                latest[tp.topic] = max(latest[tp.topic] or 0, info.timestamp)
    return TopicEnds(low, end, latest)


def _committed(admin: AdminClient, group: str, tps: list[TopicPartition], timeout: float) -> dict[TP, int | None]:
    if not tps:
        return {}
    def ask() -> Any:
        futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
                                                    request_timeout=timeout)
        return _wait(futures[group], timeout, f"the committed offsets of {group}")

    result = _again(ask, f"the committed offsets of {group}")
    return {(tp.topic, tp.partition): (tp.offset if tp.offset >= 0 and tp.error is None else None)
            for tp in result.topic_partitions}


def _membership(admin: AdminClient, groups: list[str], timeout: float) -> dict[str, tuple[str, int]]:
    """(state, member count) of each group; ("DEAD", 0) for a group the broker does not know."""
    found: dict[str, tuple[str, int]] = {}
    if not groups:
        return found
    for group, future in admin.describe_consumer_groups(groups, request_timeout=timeout).items():
        try:
            desc = future.result(timeout=timeout + 1)
            state = getattr(desc.state, "name", str(desc.state))
            found[group] = (state, len(desc.members))
        except KafkaException:
            found[group] = ("DEAD", 0)
    return found


def oldest_timestamps(settings: HubSettings, positions: dict[TP, int], timeout: float) -> dict[TP, int]:
    """Timestamp (ms) of the first record at or after each position; partitions not read in time are absent."""
    if not positions:
        return {}
    consumer = Consumer({
        **settings.kafka_client_config(),
        "group.id": f"hub-ops-probe-{uuid.uuid4().hex[:8]}",  # never joined nor committed: assign() only
        "enable.auto.commit": False,
        "enable.partition.eof": False,
        "fetch.max.bytes": 1 << 20,
        "max.partition.fetch.bytes": 1 << 16,
    })
    found: dict[TP, int] = {}
    try:
        consumer.assign([TopicPartition(t, p, off) for (t, p), off in positions.items()])
        deadline = time.monotonic() + timeout
        while len(found) < len(positions) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=500, timeout=0.2):
                if msg.error():
                    continue
                key = (msg.topic() or "", msg.partition() or 0)
                if key in positions and key not in found:
                    _, ts = msg.timestamp()
                    found[key] = ts
                    consumer.pause([TopicPartition(key[0], key[1])])
    finally:
        consumer.close()
    return found


def probe_groups(settings: HubSettings, groups: list[ExpectedGroup], *,
                 admin: AdminClient | None = None) -> list[GroupState]:
    """The state of every expected group on every partition of its topics that exists."""
    admin = admin or admin_client(settings)
    timeout = settings.request_timeout_s
    parts = partitions_of(admin, {t for g in groups for t in g.topics}, timeout)
    ends = topic_ends(admin, parts, timeout)
    members = _membership(admin, [g.group for g in groups], timeout)
    states: list[GroupState] = []
    wanted: dict[TP, int] = {}
    committed_of: dict[str, dict[TP, int | None]] = {}
    for g in groups:
        tps = [TopicPartition(t, p) for t in g.topics if t in parts for p in parts[t]]
        committed = _committed(admin, g.group, tps, timeout)
        committed_of[g.group] = committed
        for key, offset in committed.items():
            position = ends.low[key] if offset is None else max(offset, ends.low[key])
            if ends.end[key] > position:
                wanted[key] = min(wanted.get(key, position), position)
    # one read per partition at the lowest position any group needs; others read their own below
    stamps = oldest_timestamps(settings, wanted, settings.ops.lag_record_timeout_s)
    extra: dict[tuple[TP, int], int | None] = {}
    for g in groups:
        state, count = members.get(g.group, ("DEAD", 0))
        gs = GroupState(g.group, state, count)
        for (topic, partition), offset in sorted(committed_of[g.group].items()):
            key = (topic, partition)
            low, end = ends.low[key], ends.end[key]
            position = low if offset is None else max(offset, low)
            oldest: int | None = None
            if end > position:
                if wanted.get(key) == position:
                    oldest = stamps.get(key)
                else:
                    if (key, position) not in extra:
                        read = oldest_timestamps(settings, {key: position}, settings.ops.lag_record_timeout_s)
                        extra[(key, position)] = read.get(key)
                    oldest = extra[(key, position)]
            gs.partitions.append(PartitionState(topic, partition, offset, low, end, oldest))
        states.append(gs)
    return states
