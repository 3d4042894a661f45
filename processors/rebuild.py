"""`hub rebuild`: Redis is a cache of Kafka — rebuild the read model from the department topics.

The department topics are the source of truth (every master record is a pure function of the latest
version of each department record), so a lost or damaged read model is rebuilt by reprocessing them.

The rule: the window keeps answering from the old read model until the new one is complete. So the
rebuild never empties the live keys first. It reads the department topics up to their ends at the
start (a snapshot), runs them through the processors' own stage-2 code (`ResolveStage`: the same engine,
the same Redis writes, the same master-topic messages, which are idempotent) into fresh staging keys
(`<prefix minus ':'>~rebuild:`), and only then swaps: one MULTI/EXEC unlinks the live read-model keys and
renames every staging key onto its live name, so a reader sees either the whole old read model or the
whole new one, never a mix or an empty one. The swap holds Redis for about a microsecond a key (UNLINK
frees values in the background; ~0.1 s for 20,000 persons).

The window's own keys (credentials, disclosures, reports) and the ops figures are kept, as they are
not derived from the department topics. Afterwards the processors' consumer group is set to the
snapshot's offsets on the department topics and to the end of hub.resolve.v1, so the next
`hub process` restores the engine from the new state and goes on with what came after the snapshot.

It refuses while the processors run (a member of their group), at the start and again right before the
swap, because a running worker keeps its engine state in memory and would write it back. It holds the
whole city's engine in memory, as `hub resolve` does (about 4.6 KB a department row).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from hub.contract.errors import BrokerUnavailableError, HubError
from hub.contract.sources import SOURCES
from hub.ops.recorder import Recorder
from hub.settings import HubSettings
from hub.wire.offsets import set_group_offsets
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from hub.wire.topics import admin_client
from processors.errors import PoisonEventError
from processors.records import hop_value, record_to_json
from processors.resolve import ResolveStage
from processors.standardise import Standardiser

__all__ = ["RebuildPlan", "RebuildRefusedError", "rebuild", "staging_prefix"]

logger = logging.getLogger(__name__)

Offsets = dict[str, dict[int, int]]  # topic -> partition -> offset


class RebuildRefusedError(HubError):
    """The read model cannot be rebuilt now (the processors are running, or Redis did not answer)."""


@dataclass(frozen=True)
class RebuildPlan:
    """What a rebuild did: events replayed, read-model keys replaced and installed, where the group resumes."""

    deleted_keys: int  # live read-model keys replaced by the swap
    kept_keys: int  # the window's and the ops keys, left alone
    installed_keys: int  # staging keys renamed onto their live names
    events: int  # department events replayed into the new read model
    poison: int  # events that could not be read (they went to the dead-letter topics the first time)
    offsets: Offsets  # topic -> partition -> offset the group resumes at


def staging_prefix(prefix: str) -> str:
    """Where the new read model is built: beside the live prefix, never under it (a scan of it must not
    find the staging keys)."""
    return f"{prefix.rstrip(':')}~rebuild:"


def rebuild(settings: HubSettings, *, redis: Redis | None = None, admin: AdminClient | None = None) -> RebuildPlan:
    """Build a new read model from the department topics beside the live one, then swap it in atomically."""
    if len(settings.served_cities) > 1:  # it resets the shared group to one snapshot: every city's, not one's
        raise RebuildRefusedError(f"this hub serves {len(settings.served_cities)} cities; `hub rebuild` "
                                  "rebuilds a single-city hub only (docs/architecture.md, \"Several cities\")")
    admin = admin or admin_client(settings)
    group = settings.processors.app_id
    _refuse_while_running(admin, group, settings.request_timeout_s)
    client = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    live = settings.processors.redis_prefix
    staging = staging_prefix(live)
    _unlink_all(client, staging)  # what a rebuild that died before its swap left
    ends = _offsets(settings, {settings.topics.dept(s): "high" for s in SOURCES})
    began = time.monotonic()
    events, poison = asyncio.run(_replay(settings, staging, ends))
    _refuse_while_running(admin, group, settings.request_timeout_s)
    keep = (settings.window.redis_prefix, f"{live}ops:")
    deleted, kept, installed = _swap(client, live, staging, keep)
    offsets = {**ends, **_offsets(settings, {settings.processors.resolve_topic: "high"})}
    _reset_group(admin, group, offsets, settings.request_timeout_s)
    logger.info("read model rebuilt from %d events in %.1fs and swapped in (%d keys replaced, %d installed, "
                "%d window and ops keys kept); %s resumes after the snapshot", events, time.monotonic() - began,
                deleted, installed, kept, group)
    return RebuildPlan(deleted, kept, installed, events, poison, offsets)


def _refuse_while_running(admin: AdminClient, group: str, timeout: float) -> None:
    try:
        described = admin.describe_consumer_groups([group], request_timeout=timeout)[group].result(timeout=timeout)
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot describe consumer group {group}: {exc}") from None
    if described.members:
        raise RebuildRefusedError(f"{len(described.members)} processor(s) of {group} are running: stop "
                                  "`hub process` first (its engine state would be written back)")


def _offsets(settings: HubSettings, wanted: dict[str, str]) -> Offsets:
    """Each topic's partitions at their low or high watermark now (topics that do not exist are left out)."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": "hub.rebuild.probe",
                         "enable.auto.commit": False})
    timeout = settings.request_timeout_s
    try:
        metadata = consumer.list_topics(timeout=timeout)
        offsets: Offsets = {}
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


class _Sender:
    """The `send` of ResolveStage over a librdkafka producer: a future per message, set on its delivery."""

    def __init__(self, settings: HubSettings) -> None:
        self.producer = Producer({**settings.kafka_client_config(), "enable.idempotence": True, "acks": "all",
                                  "linger.ms": 20, "queue.buffering.max.messages": 100_000})
        self.loop = asyncio.get_running_loop()
        self.timeout = 3 * settings.request_timeout_s

    async def send(self, topic: str, key: bytes | None, value: bytes | None) -> Awaitable[Any]:
        done: asyncio.Future[None] = self.loop.create_future()

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is None:
                self.loop.call_soon_threadsafe(_settle, done, None)
            else:
                self.loop.call_soon_threadsafe(_settle, done, BrokerUnavailableError(f"{topic}: {err.str()}"))

        while True:
            try:
                self.producer.produce(topic, key=key, value=value, on_delivery=delivered)
                break
            except BufferError:  # the bounded local queue is full: let deliveries drain it
                await asyncio.to_thread(self.producer.poll, 0.1)
        self.producer.poll(0)
        return done

    async def pump(self, stop: asyncio.Event) -> None:
        """Serve delivery callbacks until stopped (they run on the polling thread)."""
        while not stop.is_set():
            await asyncio.to_thread(self.producer.poll, 0.05)
        await asyncio.to_thread(self.producer.flush, self.timeout)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


async def _replay(settings: HubSettings, staging: str, ends: Offsets) -> tuple[int, int]:
    """Every department event up to `ends` through stage 2 into the staging keys; (events, poison)."""
    staged = settings.model_copy(update={"processors": settings.processors.model_copy(
        update={"redis_prefix": staging})})
    p = settings.processors
    redis = AsyncRedis.from_url(settings.redis_url, socket_timeout=p.redis_timeout_s)
    registry = SchemaRegistry.from_settings(settings)
    codecs = TopicCodecs(settings, registry, precheck=False)
    standardiser = Standardiser(settings, codecs)
    sender = _Sender(settings)
    stop = asyncio.Event()
    pump = asyncio.ensure_future(sender.pump(stop))
    stage = ResolveStage(staged, codecs, redis, sender.send, recorder=Recorder(redis, staging))
    events = poison = 0
    try:
        batch: list[bytes] = []
        for topic, value in _department_events(settings, ends):
            try:
                batch.append(record_to_json(standardiser.decode(topic, value)))
            except PoisonEventError:
                poison += 1
                continue
            if len(batch) >= p.batch_max:
                await _apply(stage, batch, p.forward_max)
                events += len(batch)
                batch = []
        if batch:
            await _apply(stage, batch, p.forward_max)
            events += len(batch)
    finally:
        stop.set()
        await pump
        registry.close()
        await redis.aclose()  # type: ignore[attr-defined]
    return events, poison


async def _apply(stage: ResolveStage, records: list[bytes], per_message: int) -> None:
    """One stage-2 batch, its records grouped into hop values as stage 1 forwards them."""
    await stage.handle([hop_value(records[i:i + per_message]) for i in range(0, len(records), per_message)])


def _department_events(settings: HubSettings, ends: Offsets) -> Any:
    """(topic, value) of every message from each partition's low watermark up to `ends`."""
    consumer = Consumer({**settings.kafka_client_config(), "group.id": "hub.rebuild.reader",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        starts = _offsets(settings, {topic: "low" for topic in ends})
        left = {(t, p): end for t, parts in ends.items() for p, end in parts.items() if end > starts[t][p]}
        consumer.assign([TopicPartition(t, p, starts[t][p]) for t, p in left])
        idle_since = time.monotonic()
        while left:
            messages = consumer.consume(5000, timeout=1.0)
            if not messages and time.monotonic() - idle_since > 3 * settings.request_timeout_s:
                raise BrokerUnavailableError(f"the department topics stopped answering with {len(left)} "
                                             "partitions not read to their snapshot end")
            for msg in messages:
                idle_since = time.monotonic()
                if msg.error() is not None:
                    continue
                where = (msg.topic() or "", msg.partition() or 0)
                end = left.get(where)
                offset = msg.offset() or 0
                if end is None or offset >= end:
                    continue
                yield where[0], msg.value()
                if offset + 1 >= end:
                    del left[where]
    except KafkaException as exc:
        raise BrokerUnavailableError(f"cannot read the department topics: {exc}") from None
    finally:
        consumer.close()


def _keys(redis: Redis, prefix: str) -> list[bytes]:
    return list(redis.scan_iter(match=f"{prefix}*", count=1000))


def _unlink_all(redis: Redis, prefix: str) -> None:
    try:
        keys = _keys(redis, prefix)
        for i in range(0, len(keys), 1000):
            redis.unlink(*keys[i:i + 1000])
    except (RedisError, OSError) as exc:
        raise RebuildRefusedError(f"Redis did not answer: {type(exc).__name__}") from None


def _swap(redis: Redis, live: str, staging: str, keep: tuple[str, ...]) -> tuple[int, int, int]:
    """Replace the live read model by the staging keys in one transaction; (replaced, kept, installed)."""
    ops = f"{staging}ops:"  # the stage's own measurements during the replay: not the city's figures
    try:
        old, kept = [], 0
        for key in _keys(redis, live):
            if key.decode().startswith(keep):
                kept += 1
            else:
                old.append(key)
        new = [key for key in _keys(redis, staging) if not key.decode().startswith(ops)]
        pipe = redis.pipeline(transaction=True)
        for i in range(0, len(old), 1000):
            pipe.unlink(*old[i:i + 1000])
        for key in new:
            pipe.rename(key, live.encode() + key[len(staging.encode()):])
        pipe.execute()
    except (RedisError, OSError) as exc:
        raise RebuildRefusedError(f"Redis did not answer: {type(exc).__name__}") from None
    _unlink_all(redis, staging)
    return len(old), kept, len(new)


def _reset_group(admin: AdminClient, group: str, offsets: Offsets, timeout: float) -> None:
    partitions = [TopicPartition(topic, partition, offset)
                  for topic, parts in sorted(offsets.items()) for partition, offset in sorted(parts.items())]
    set_group_offsets(admin, group, partitions, timeout, "the rebuilt snapshot")
