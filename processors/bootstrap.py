"""The bulk bootstrap of `hub process`: a city's first load (or a rebuild) resolved like `hub resolve`.

Rule: when the worker starts, the engine state in Redis is empty and the processors' consumer group
has at least `bootstrap_min_events` department events it has not committed, the worker resolves that
backlog in bulk before faust consumes anything: it reads every department partition from the group's
committed offset (else the start) to the high watermark taken at start, and the hub.resolve.v1
partition likewise (records stage 1 forwarded that stage 2 has not applied), adds every record to
one engine and resolves once (`Resolver.add` + `resolve()`, the path `hub resolve` runs), produces one
message per final master, place, organization and conflict, writes Redis in pipelined chunks, and
then commits those end offsets for the group on both topics. faust then resumes exactly there:
events that arrived meanwhile lie beyond the ends and go through the incremental path.

Why: the incremental path rebuilds and writes each master once per batch; a backlog of millions
would crawl through it. The result is the same: the engine guarantees a resolution of a set of
records equals any sequence of incremental batches of them, and every write is a pure function of
the final state.

Why in front of faust, not inside it: the group then has no member, so its offsets can be set
directly, and nothing else consumes while the bootstrap reads. One worker at a time (a Redis lock);
a worker that finds the lock taken waits, then looks again (and finds the backlog committed).

Crash safety: before writing anything the ends are stored in Redis (`engine:bootstrap`). A worker
that finds that marker resumes the interrupted bootstrap with the same ends (the group's offsets are
only committed at the end, so the starts are the same too): the same records, the same resolution,
the same writes, which are idempotent. Redis is written read model first, engine state last
(`write_bulk`). Bad events go to the dead-letter topic exactly as stage 1 sends them.

Merges inside the backlog never existed outside it, so the bootstrap writes no redirects, tombstones
or lifecycle events for them (a large incremental batch does not either).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import orjson
import redis
from confluent_kafka import Producer
from redis.asyncio import Redis as AsyncRedis

from hub.contract.errors import HubError, RegistryUnavailableError
from hub.contract.sources import SOURCES
from hub.engine.resolver import Changes, Resolver
from hub.ops.recorder import Recorder
from hub.readmodel.store import RedisKeys, write_bulk
from hub.runtime.gc_pause import paused_gc
from hub.settings import HubSettings
from hub.wire.dead_letters import Headers, context_headers
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from hub.wire.topics import admin_client
from processors.backlog import Span, commit_spans, group_members, group_spans, read_spans
from processors.errors import PoisonEventError, ProcessorError, SinkError
from processors.records import records_from_hop
from processors.resolve import Message, ResolveStage
from processors.standardise import Standardiser

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: How long the bootstrap lock lives without renewal (renewed at a third of it while the worker runs).
LOCK_TTL_MS = 30_000


class BootstrapError(ProcessorError):
    """The bootstrap cannot run safely now (e.g. a worker of the group consumes while a marker says one
    was interrupted)."""


@dataclass(frozen=True)
class BootstrapReport:
    """What one bootstrap covered and wrote, and where its time went."""

    events: int
    records: int
    dead_letters: int
    masters: int
    messages: int
    redis_trips: int
    resolver: Resolver
    written_at: bytes | None
    seconds: dict[str, float]


def marker_key(keys: RedisKeys) -> str:
    return f"{keys.prefix}engine:bootstrap"


def lock_key(keys: RedisKeys) -> str:
    return f"{keys.prefix}engine:bootstrap:lock"


class BootstrapLock:
    """One bootstrapping worker at a time: a Redis key set if absent, renewed by a thread while held."""

    def __init__(self, client: redis.Redis, key: str, ttl_ms: int = LOCK_TTL_MS) -> None:
        self.client, self.key, self.ttl_ms = client, key, ttl_ms
        self.token = secrets.token_hex(16).encode()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, poll_s: float = 1.0) -> None:
        waited = False
        while not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            if not waited:
                logger.info("another worker is bootstrapping; waiting for it")
                waited = True
            time.sleep(poll_s)
        self._thread = threading.Thread(target=self._renew, name="bootstrap-lock", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            try:
                if self.client.get(self.key) == self.token:
                    self.client.pexpire(self.key, self.ttl_ms)
            except (redis.RedisError, OSError) as exc:  # retried at the next tick; the TTL covers two misses
                logger.warning("bootstrap lock not renewed: %s", type(exc).__name__)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.client.get(self.key) == self.token:
            self.client.delete(self.key)

    def __enter__(self) -> BootstrapLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _ends(spans: list[Span]) -> bytes:
    return orjson.dumps([[s.topic, s.partition, s.end] for s in spans])


def _resume(spans: list[Span], marker: bytes) -> list[Span]:
    """The spans of an interrupted bootstrap: today's starts (not committed since), the marker's ends."""
    ends = {(str(t), int(p)): int(e) for t, p, e in orjson.loads(marker)}
    return [Span(s.topic, s.partition, s.start, max(s.start, ends.get((s.topic, s.partition), s.start)))
            for s in spans]


def bootstrap_if_needed(settings: HubSettings) -> BootstrapReport | None:
    """Run the bootstrap if the rule in this module's docstring says so; None when the worker should simply
    consume (small backlog, engine state present, or another worker consuming)."""
    p = settings.processors
    if len(settings.served_cities) > 1:  # the bulk path resolves one city; each city's engine catches up itself
        logger.info("bootstrap off: this hub serves %d cities, their backlogs are consumed incrementally",
                    len(settings.served_cities))
        return None
    keys = RedisKeys(p.redis_prefix)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=p.redis_timeout_s)
    dept = [settings.topics.dept(s) for s in SOURCES]
    try:
        with BootstrapLock(client, lock_key(keys)):
            marker = client.get(marker_key(keys))
            spans = group_spans(settings, p.app_id, [*dept, p.resolve_topic])
            admin = admin_client(settings)
            members = group_members(admin, p.app_id, settings.request_timeout_s)
            if marker is not None:
                if members:
                    raise BootstrapError(f"an interrupted bootstrap must finish first, but {members} worker(s) "
                                         f"of {p.app_id} consume: stop them and start one")
                spans = _resume(spans, marker)
                logger.info("resuming an interrupted bootstrap")
            else:
                backlog = sum(s.events for s in spans if s.topic != p.resolve_topic)
                if p.bootstrap_min_events <= 0 or backlog < p.bootstrap_min_events or members:
                    return None
                if client.exists(keys.format):  # written with every batch, the engine state's with it
                    logger.info("backlog of %d events on an existing engine state: incremental", backlog)
                    return None
                client.set(marker_key(keys), _ends(spans))
            report = _run(settings, spans)
            commit_spans(admin, p.app_id, spans, settings.request_timeout_s)
            client.delete(marker_key(keys))
    finally:
        client.close()
    t = report.seconds
    logger.info("bootstrap: %d events (%d records, %d dead letters) -> %d masters, %d messages, %d Redis round "
                "trips in %.1fs (read %.1f, resolve %.1f, plan %.1f, Kafka %.1f, Redis %.1f)", report.events,
                report.records, report.dead_letters, report.masters, report.messages, report.redis_trips,
                sum(t.values()), t["read"], t["resolve"], t["plan"], t["kafka"], t["redis"])
    return report


def _run(settings: HubSettings, spans: list[Span]) -> BootstrapReport:
    """Read, resolve and write the spans (not commit them); in a private event loop, left unset so that
    faust's own loop is untouched."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_bootstrap(settings, spans))
    finally:
        loop.close()


def _patiently(decode: Callable[[], T], tries: int = 30) -> T:
    """Decode, waiting out a registry that is briefly unreachable (as stage 1 does)."""
    for _ in range(tries - 1):
        try:
            return decode()
        except RegistryUnavailableError as exc:
            logger.warning("registry unavailable, retrying: %s", exc)
            time.sleep(1.0)
    return decode()


class _Sink:
    """Kafka writes of the bootstrap: one producer, delivery errors collected, one flush at the end."""

    def __init__(self, settings: HubSettings) -> None:
        timeout_ms = int(settings.processors.sink_patience_s * 1000)
        # murmur2, as faust's producer (aiokafka) partitions: a master's later updates must land on the
        # partition of its bootstrap message, or a compacted topic would keep both
        self.producer = Producer({**settings.kafka_client_config(), "enable.idempotence": True, "acks": "all",
                                  "partitioner": "murmur2_random", "linger.ms": 50,
                                  "message.timeout.ms": timeout_ms, "queue.buffering.max.messages": 200_000})
        self.failures: list[str] = []
        self.sent = 0

    def _delivered(self, err: Any, msg: Any) -> None:
        if err is not None:
            self.failures.append(str(err))

    def send(self, topic: str, key: bytes | None, value: bytes | None,
             headers: Headers | None = None) -> None:
        wire: list[tuple[str, str | bytes | None]] | None = None if headers is None else list(headers)
        while True:
            try:
                self.producer.produce(topic, value=value, key=key, headers=wire, on_delivery=self._delivered)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                self.producer.poll(0.1)
        self.sent += 1
        self.producer.poll(0)

    def flush(self, timeout_s: float) -> None:
        left = self.producer.flush(timeout_s)
        if left or self.failures:
            raise SinkError(f"Kafka did not acknowledge the bootstrap's messages ({left} unsent, "
                            f"{len(self.failures)} failed: {self.failures[:1]})")


async def _bootstrap(settings: HubSettings, spans: list[Span]) -> BootstrapReport:
    p = settings.processors
    seconds: dict[str, float] = {}
    aredis = AsyncRedis.from_url(settings.redis_url, socket_timeout=p.redis_timeout_s)
    recorder = Recorder(aredis, p.redis_prefix)
    sink = _Sink(settings)
    try:
        with SchemaRegistry.from_settings(settings) as registry:
            codecs = TopicCodecs(settings, registry, precheck=False)
            standardiser = Standardiser(settings, codecs, on_event=recorder.event_read)
            resolver = Resolver(settings.city_code, settings.citizen_id_key.get_secret_value().encode("utf-8"))
            began = time.perf_counter()
            events = records = letters = 0
            with paused_gc():  # as in `hub resolve`: gen-2 passes would walk the whole engine state
                for message in read_spans(settings, spans, patience_s=p.sink_patience_s):
                    topic, value = message.topic() or "", message.value()
                    events += 1
                    if topic == p.resolve_topic:  # stage 1 standardised these already
                        for record in records_from_hop([value or b""]):
                            resolver.add(record)
                            records += 1
                        continue
                    try:
                        resolver.add(_patiently(partial(standardiser.decode, topic, value)))
                        records += 1
                    except PoisonEventError as poison:
                        letters += 1
                        _dead_letter(standardiser, sink, message, poison)
                seconds["read"] = time.perf_counter() - began
                began = time.perf_counter()
                resolution = resolver.resolve()
                seconds["resolve"] = time.perf_counter() - began
                began = time.perf_counter()
                changes = Changes(masters=dict(resolution.masters), conflicts=list(resolution.conflicts),
                                  places=dict(resolution.place_of_text),
                                  organizations=dict(resolution.organization_of_key),
                                  citizens=dict(resolution.citizen_of_ref))
                stage = ResolveStage(settings, codecs, aredis, _no_send, recorder=recorder)
                state = resolver.state
                plan, messages = stage.plan_changes(resolver, changes, {}, list(state.latest),
                                                    list(state.addresses), list(state.organizations))
                seconds["plan"] = time.perf_counter() - began
            began = time.perf_counter()
            _produce(sink, messages)
            sink.flush(p.sink_patience_s)
            seconds["kafka"] = time.perf_counter() - began
            began = time.perf_counter()
            trips = await write_bulk(aredis, stage.keys, plan)
            seconds["redis"] = time.perf_counter() - began
            written_at = await aredis.get(stage.keys.written_at)
            recorder.batch_written((v.record for v in state.latest.values()), changes.citizens, resolution.masters,
                                   {}, (), changes.conflicts, seconds["kafka"], seconds["redis"])
            await recorder.flush(force=True)
    finally:
        await aredis.aclose()  # type: ignore[attr-defined]
    return BootstrapReport(events, records, letters, len(resolution.masters), len(messages), trips, resolver,
                           written_at, seconds)


async def _no_send(topic: str, key: bytes | None, value: bytes | None) -> Any:
    raise HubError("the bootstrap produces through its own producer")


def _produce(sink: _Sink, messages: list[Message]) -> None:
    for topic, key, value in messages:
        sink.send(topic, key, value)


def _dead_letter(standardiser: Standardiser, sink: _Sink, message: Any, poison: PoisonEventError) -> None:
    """The dead letter stage 1 would write for this event: reason, raw bytes, Kafka position, headers."""
    topic, partition, offset = message.topic() or "", message.partition() or 0, message.offset() or 0
    dlq, key, value = standardiser.dead_letter(topic, partition, offset, message.key(), message.value(), poison)
    headers = context_headers(connector="processors", stage="standardise", error_class=type(poison).__name__,
                              message=poison.reason, topic=topic, partition=partition, offset=offset)
    sink.send(dlq, key, value, headers)
    logger.warning("dead letter from %s[%d]@%d: %s", topic, partition, offset, poison.reason)
