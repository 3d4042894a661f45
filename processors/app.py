"""The faust app behind `hub process`: stage 1 (standardise, any number of workers) and stage 2
(resolve, one partition per city, so exactly one worker runs a city's engine at a time; stage 1 routes
each record to its city's partition, docs/architecture.md, "Several cities").

Two stages make results independent of the number of workers: stage 1 is stateless, stage 2 is
single-writer. Delivery is at-least-once (never exactly_once: faust-streaming's EOS has open
bugs, see docs/architecture.md, "Delivery"); every write is idempotent, so redelivery is harmless.

Bounds: stage 1 forwards the records of up to `forward_max` events in one hub.resolve.v1
message; stage 2 takes batches of at most `batch_max` events; at most `stream_buffer_maxsize`
events queued per agent channel (the resolve channel counts messages of `forward_max`), at most
`fetch_max_bytes` prefetched per assigned partition. Stage 2 awaits Kafka and Redis (retrying
for up to `sink_patience_s`) before taking the next batch; its full channel makes faust stop
fetching hub.resolve.v1, or blocks this worker's one fetch loop (stage 1 too).
Either way a slow Redis leaves the backlog in Kafka as lag instead of growing memory
(tests/integration/test_processors.py::test_slow_redis_slows_consumption_not_memory).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

import faust
from faust.types import TP
from redis.asyncio import Redis

from hub.contract.errors import RegistryUnavailableError
from hub.contract.sources import SOURCES
from hub.ops.recorder import Recorder
from hub.settings import HubSettings, state_dir
from hub.wire.dead_letters import context_headers
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors.bootstrap import bootstrap_if_needed
from processors.errors import CityPartitionError, PoisonEventError
from processors.kafka_auth import broker_credentials
from processors.memtrace import start as start_memtrace
from processors.records import hop_value, record_to_json
from processors.resolve import ResolveStage
from processors.standardise import Standardiser

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Exit code when a batch could not be written: the process ends without committing its offsets.
EX_SINK_FAILED = 75


class Gate:
    """Counts batches in flight, so a SIGTERM can wait for the current batch before stopping."""

    def __init__(self) -> None:
        self.busy = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def enter(self) -> None:
        self.busy += 1
        self.idle.clear()

    def leave(self) -> None:
        self.busy -= 1
        if self.busy == 0:
            self.idle.set()


def _die(what: str, exc: BaseException) -> None:
    """Exit at once without letting faust commit: the unwritten batch is redelivered on restart."""
    logger.critical("%s failed (%s: %s); exiting without committing", what, type(exc).__name__, exc)
    logging.shutdown()
    os._exit(EX_SINK_FAILED)


async def _finish(work: Awaitable[None]) -> None:
    """Run `work` to the end even if the agent is cancelled meanwhile (faust acks the batch after)."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def warm_up(settings: HubSettings, codecs: TopicCodecs) -> None:
    """Look up every schema id the workers write with now, not in the middle of a batch."""
    names = settings.topics
    outputs: list[str] = []
    for city in settings.served_cities:
        own = settings.for_city(city).topics
        outputs += [own.master_citizen, own.master_address, own.master_organization, own.lifecycle, own.conflicts]
    for topic in (*outputs, *(names.dlq(s) for s in SOURCES)):
        _ = codecs.serializer(topic).schema_id, codecs.serializer(topic, "key").schema_id
    for source in SOURCES:
        codecs.deserializer(names.dept(source))
        codecs.deserializer(names.dept(source), "key")


async def _patiently(decode: Callable[[], T], tries: int = 30) -> T:
    """Decode, waiting out a registry that is briefly unreachable (decoding is safe to repeat)."""
    for _ in range(tries - 1):
        try:
            return decode()
        except RegistryUnavailableError as exc:
            logger.warning("registry unavailable, retrying: %s", exc)
            await asyncio.sleep(1.0)
    return decode()


#: Largest hub.resolve.v1 value stage 1 writes (Kafka refuses messages over 1 MiB by default).
HOP_MAX_BYTES = 512 * 1024


def hop_chunks(records: list[bytes], limit: int = HOP_MAX_BYTES) -> list[list[bytes]]:
    """The forwarded records in runs of at most `limit` bytes (a larger record goes alone)."""
    chunks: list[list[bytes]] = []
    size = limit
    for record in records:
        if size + len(record) + 1 > limit:
            chunks.append([])
            size = 1
        chunks[-1].append(record)
        size += len(record) + 1
    return chunks


class CityEngine(Protocol):
    """What stage 2 hands a city's records to (`ResolveStage`)."""

    async def handle(self, values: list[bytes]) -> None: ...


async def handle_by_city(stages: Sequence[CityEngine], events: Sequence[Any]) -> None:
    """Hand each city's part of a batch (its partition's values, in offset order) to that city's engine."""
    values: dict[int, list[bytes]] = {}
    for event in events:
        values.setdefault(event.message.partition, []).append(event.value)
    for partition, part in sorted(values.items()):
        if partition >= len(stages):
            raise CityPartitionError(f"{len(part)} record(s) on partition {partition} of the resolve topic, "
                                     f"which serves {len(stages)} cities")
        await stages[partition].handle(part)


def build_app(settings: HubSettings, gate: Gate) -> faust.App:
    p = settings.processors
    datadir = state_dir() / "faust" / p.app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    brokers = [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")]
    app = faust.App(
        p.app_id,
        broker=brokers,
        broker_credentials=broker_credentials(settings.kafka_security),  # TLS / SASL (processors/kafka_auth.py)
        store="memory://",  # no tables: the engine state lives in Redis (see processors/restore.py)
        processing_guarantee="at_least_once",
        topic_replication_factor=settings.topic_policy.replication_factor,
        topic_partitions=settings.topic_policy.partitions,
        stream_buffer_maxsize=p.stream_buffer_maxsize,
        consumer_max_fetch_size=p.fetch_max_bytes,
        broker_commit_interval=p.commit_interval_s,
        broker_session_timeout=p.session_timeout_s,
        broker_heartbeat_interval=max(p.session_timeout_s / 4, 0.5),
        consumer_auto_offset_reset="earliest",
        web_enabled=p.web_port is not None,
        web_port=p.web_port or 6066,
        web_bind="127.0.0.1",
        datadir=str(datadir),
        autodiscover=False,
        producer_acks=-1,
    )
    registry = SchemaRegistry.from_settings(settings)
    codecs = TopicCodecs(settings, registry, precheck=False)  # outputs are built by the hub itself
    warm_up(settings, codecs)
    # an explicit reply timeout: a hung connection becomes a retried attempt (ResolveStage._with_retries)
    redis = Redis.from_url(settings.redis_url, socket_timeout=p.redis_timeout_s)
    recorder = Recorder(redis, p.redis_prefix)  # ops measurements (hub/ops/recorder.py), both stages
    standardiser = Standardiser(settings, codecs, on_event=recorder.event_read)
    # its channel holds about as many records as a department channel (messages carry forward_max each)
    cities = settings.served_cities
    resolve_topic = app.topic(p.resolve_topic, key_type=bytes, value_type=bytes, key_serializer="raw",
                              value_serializer="raw", partitions=len(cities),
                              maxsize=max(2, -(-p.stream_buffer_maxsize // p.forward_max)))
    dept_topic = app.topic(*[settings.topics.dept(s) for s in SOURCES], key_type=bytes, value_type=bytes,
                           key_serializer="raw", value_serializer="raw")

    async def send(topic: str, key: bytes | None, value: bytes | None) -> Awaitable[Any]:
        return await app.producer.send(topic, key, value, partition=None, timestamp=None, headers=None)

    # one engine per city, on the city's partition of the resolve topic (its single writer): the city's own
    # Redis prefix and master topics (HubSettings.for_city); the first city's is the single-city stage
    stages = [ResolveStage(settings.for_city(city), codecs, redis, send,
                           recorder=recorder if city == settings.city_code else None) for city in cities]
    app.resolve_stage = stages[settings.city_partition(settings.city_code)]  # type: ignore[attr-defined]
    app.resolve_stages = stages  # type: ignore[attr-defined]

    @app.agent(dept_topic, concurrency=1)
    async def standardise(stream: faust.StreamT[bytes]) -> None:
        # take_events (faust-streaming >= 0.10) is on faust.Stream, not on the StreamT protocol
        async for events in stream.take_events(p.forward_max, within=p.forward_within_s):  # type: ignore[attr-defined]
            forward: dict[int, list[bytes]] = {}  # resolve partition (the city's) -> its records, in order
            for event in events:
                message = event.message
                try:
                    city, record = await _patiently(partial(standardiser.decode_routed, message.topic,
                                                            message.value))
                except PoisonEventError as poison:
                    topic, key, value = standardiser.dead_letter(
                        message.topic, message.partition, message.offset, message.key, message.value, poison)
                    headers = context_headers(connector="processors", stage="standardise",
                                              error_class=type(poison).__name__, message=poison.reason,
                                              topic=message.topic, partition=message.partition,
                                              offset=message.offset)
                    await app.producer.send(topic, key, value, partition=None, timestamp=None, headers=headers)
                    logger.warning("dead letter from %s[%d]@%d: %s", message.topic, message.partition,
                                   message.offset, poison.reason)
                    continue
                except Exception as exc:  # registry or broker down: not the event's fault
                    _die("standardising an event", exc)
                forward.setdefault(settings.city_partition(city), []).append(record_to_json(record))
            for partition, records in sorted(forward.items()):
                for chunk in hop_chunks(records):  # faust flushes the producer before it commits the offsets
                    await resolve_topic.send(key=None, value=hop_value(chunk), partition=partition)
            await recorder.flush()  # ops: at most once a second

    # a stage-2 batch is at most batch_max events: hop messages carry up to forward_max records each
    take_max = max(1, -(-p.batch_max // p.forward_max))

    @app.agent(resolve_topic, concurrency=1)
    async def resolve(stream: faust.StreamT[bytes]) -> None:
        # take_events: a batch may hold several cities' partitions; each goes to its own engine, in order
        async for events in stream.take_events(take_max, within=p.batch_within_s):  # type: ignore[attr-defined]
            gate.enter()
            try:
                await _finish(handle_by_city(stages, events))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _die("writing a batch", exc)
            finally:
                gate.leave()

    async def on_revoked(sender: Any, revoked: set[TP], **kwargs: Any) -> None:
        for tp in revoked:  # the engine is dropped; the next owner restores it from the city's Redis state
            if tp.topic == p.resolve_topic and tp.partition < len(stages):
                stages[tp.partition].invalidate()

    async def on_assigned(sender: Any, assigned: set[TP], **kwargs: Any) -> None:
        owned = sorted(tp.partition for tp in assigned if tp.topic == p.resolve_topic)
        logger.info("resolve partitions of this worker: %s (cities %s)", owned,
                    ",".join(cities[n] for n in owned if n < len(cities)) or "none")

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]

    return app


class HubWorker(faust.Worker):
    """A faust worker whose SIGTERM/SIGINT first lets the batch in flight finish, then stops (exit 0)."""

    def __init__(self, app: faust.App, gate: Gate, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._gate = gate
        self._draining = False
        self._drain_task: asyncio.Future[None] | None = None

    def _schedule_shutdown(self, signal: signal.Signals) -> None:
        if self._draining:
            return
        self._draining = True
        parent = super()._schedule_shutdown

        async def drain() -> None:
            await self._gate.idle.wait()
            parent(signal)

        self._drain_task = asyncio.ensure_future(drain(), loop=self.loop)


def _bootstrap_log(level: str) -> None:
    """The bootstrap runs before faust sets up logging: give its logger a handler of its own meanwhile."""
    log = logging.getLogger("processors.bootstrap")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(level.upper())
        log.propagate = False


def run(settings: HubSettings) -> None:
    """Run the workers of this process until SIGTERM/SIGINT: first the bulk bootstrap if the backlog
    calls for one (processors/bootstrap.py), then faust from the offsets it committed."""
    _bootstrap_log(settings.processors.loglevel)
    start_memtrace(settings.processors.memtrace_dir, settings.processors.memtrace_every_s)  # off unless set
    report = bootstrap_if_needed(settings)
    gate = Gate()
    app = build_app(settings, gate)
    if report is not None:  # the engine just resolved is the state it wrote: spare the restore from Redis
        app.resolve_stage.adopt(report.resolver, report.written_at)  # type: ignore[attr-defined]
    worker = HubWorker(app, gate, loglevel=settings.processors.loglevel, quiet=True)
    worker.execute_from_commandline()
