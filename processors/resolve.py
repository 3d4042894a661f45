"""Stage 2: the single writer. Applies batches of records to the engine and writes what changed.

Order of writes per batch: Kafka outputs first (awaited until acknowledged), then one Redis
MULTI/EXEC holding both the read model and the engine state. If the worker dies between the two,
the batch is redelivered to an engine rebuilt from Redis (which does not have it yet), so the
Kafka outputs are produced again (compacted topics, content-derived ids: duplicates are harmless).
Had Redis been written first, a redelivered batch would change nothing and its outputs would be
lost. The offsets are committed by faust only after `handle` returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.contract.records import DepartmentRecord
from hub.engine.mentions import record_ref
from hub.engine.resolver import Changes, Resolver
from hub.engine.survivorship import Conflict, MasterCitizen
from hub.ops.recorder import Recorder
from hub.readmodel.store import BatchWrite, RedisKeys, encode_master, index_keys, write_batch
from hub.runtime.gc_pause import paused_gc
from hub.settings import HubSettings
from hub.wire.serde import TopicCodecs
from processors import outputs
from processors.errors import SinkError
from processors.records import org_to_json, record_to_stored, records_from_hop
from processors.restore import rebuild

logger = logging.getLogger(__name__)

#: Sends one message, returning an awaitable that resolves when the broker acknowledged it.
Send = Callable[[str, bytes | None, bytes | None], Awaitable[Awaitable[Any]]]
Message = tuple[str, bytes | None, bytes | None]


@dataclass
class Mirrors:
    """Reverse maps the master address/organization records need (rebuilt with the engine)."""

    place_of_text: dict[str, str] = field(default_factory=dict)
    texts_of_place: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    residents: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    org_of_key: dict[str, str] = field(default_factory=dict)
    keys_of_org: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, resolver: Resolver) -> Mirrors:
        m = cls()
        m.move_places(resolver.current.place_of_text)
        m.move_orgs(resolver.current.organization_of_key)
        for cid, master in resolver.current.masters.items():
            aid = master.value("address_id")
            if aid:
                m.residents[str(aid)].add(cid)
        return m

    def move_places(self, changed: dict[str, str]) -> set[str]:
        touched: set[str] = set()
        for text, pid in changed.items():
            old = self.place_of_text.get(text)
            if old is not None:
                self.texts_of_place[old].discard(text)
                touched.add(old)
            self.place_of_text[text] = pid
            self.texts_of_place[pid].add(text)
            touched.add(pid)
        return touched

    def move_orgs(self, changed: dict[str, str]) -> set[str]:
        touched: set[str] = set()
        for key, oid in changed.items():
            old = self.org_of_key.get(key)
            if old is not None:
                self.keys_of_org[old].discard(key)
                touched.add(old)
            self.org_of_key[key] = oid
            self.keys_of_org[oid].add(key)
            touched.add(oid)
        return touched

    def move_resident(self, cid: str, old: MasterCitizen | None, new: MasterCitizen | None) -> set[str]:
        before = old.value("address_id") if old else None
        after = new.value("address_id") if new else None
        if before == after:
            return set()
        if before:
            self.residents[str(before)].discard(cid)
        if after:
            self.residents[str(after)].add(cid)
        return {str(a) for a in (before, after) if a}


class ResolveStage:
    """Owns a city's engine while this worker owns the city's partition of hub.resolve.v1 (`settings` are the
    city's: `HubSettings.for_city`)."""

    def __init__(self, settings: HubSettings, codecs: TopicCodecs, redis: Redis, send: Send,
                 *, patience_s: float | None = None, recorder: Recorder | None = None) -> None:
        self.settings = settings
        self.codecs = codecs
        self.redis = redis
        self.send = send
        self.patience_s = settings.processors.sink_patience_s if patience_s is None else patience_s
        self.keys = RedisKeys(settings.processors.redis_prefix)
        self.secret = settings.citizen_id_key.get_secret_value().encode("utf-8")
        self.resolver: Resolver | None = None
        self._adopted: tuple[Resolver, bytes | None] | None = None
        self.mirrors = Mirrors()
        self.events = 0
        self.recorder = recorder or Recorder(redis, settings.processors.redis_prefix)  # ops measurements

    def invalidate(self) -> None:
        """Forget the engine (partition revoked): another worker may change the state meanwhile."""
        self.resolver = None
        self._adopted = None

    def adopt(self, resolver: Resolver, written_at: bytes | None) -> None:
        """Start from an engine that holds exactly the state written to Redis at `written_at` (the
        bootstrap's), instead of restoring it; used only if Redis still shows that write as the last one
        when the first batch comes (another worker may have owned the partition and written meanwhile)."""
        self._adopted = (resolver, written_at)

    async def _engine(self) -> Resolver:
        if self.resolver is None and self._adopted is not None:
            resolver, written_at = self._adopted
            self._adopted = None
            if written_at is not None and await self.redis.get(self.keys.written_at) == written_at:
                self.resolver = resolver
                self.mirrors = Mirrors.of(resolver)
                logger.info("engine taken over from the bootstrap: %d masters", len(resolver.current.masters))
        if self.resolver is None:
            self.resolver = await rebuild(self.redis, self.keys, self.settings.city_code, self.secret)
            self.mirrors = Mirrors.of(self.resolver)
        return self.resolver

    async def handle(self, values: list[bytes]) -> None:
        """Apply one batch and write its changes; returns only once Kafka and Redis acknowledged."""
        resolver = await self._engine()
        with paused_gc():  # as in `hub resolve`: gen-2 passes would walk the whole engine state
            records = records_from_hop(values)
            plan, messages, changes, old_masters = self._plan(resolver, records)
        began = time.monotonic()
        await self._with_retries("Kafka", lambda: self._produce(messages))
        kafka_s = time.monotonic() - began
        await self._with_retries("Redis", lambda: write_batch(self.redis, self.keys, plan))
        self.events += len(records)
        # ops: freshness (update -> master), outcomes, conflicts, write latencies (hub/ops/recorder.py)
        self.recorder.batch_written(records, changes.citizens, resolver.current.masters, old_masters,
                                    changes.lifecycle, changes.conflicts, kafka_s, time.monotonic() - began - kafka_s)
        await self.recorder.flush()

    def _plan(self, resolver: Resolver, records: list[DepartmentRecord]
              ) -> tuple[BatchWrite, list[Message], Changes, dict[str, MasterCitizen]]:
        """Apply the records; what to write to Redis and to Kafka for what they changed."""
        state = resolver.state
        old_masters = dict(resolver.current.masters)
        n_texts, n_orgs = len(state.addresses), len(state.organizations)
        changes = resolver.apply(records)
        new_texts = list(islice(reversed(state.addresses), len(state.addresses) - n_texts))
        new_orgs = list(islice(reversed(state.organizations), len(state.organizations) - n_orgs))
        refs = [record_ref(record.source, record.record_id) for record in records]
        plan, messages = self.plan_changes(resolver, changes, old_masters, refs, new_texts, new_orgs)
        return plan, messages, changes, old_masters

    def plan_changes(self, resolver: Resolver, changes: Changes, old_masters: dict[str, MasterCitizen],
                     refs: Iterable[str], texts: Iterable[str], orgs: Iterable[str]
                     ) -> tuple[BatchWrite, list[Message]]:
        """What to write to Redis and to Kafka for `changes` (the engine already holds them).

        `refs`, `texts` and `orgs` are the engine state to store: the records written (their latest
        versions), the address texts and organization keys seen for the first time. The bootstrap
        (processors/bootstrap.py) calls this with the whole state and a resolution's changes.
        """
        state = resolver.state
        plan = BatchWrite()
        for ref in refs:
            plan.records[ref] = record_to_stored(state.latest[ref].record)
        plan.texts = set(texts)
        plan.org_mentions = {k: org_to_json(state.organizations[k]) for k in orgs}
        retired = self._retired(changes, old_masters, resolver)
        messages = self._messages(resolver, changes, old_masters, retired)
        conflicts_of: dict[str, list[Conflict]] = {}
        for conflict in changes.conflicts:  # a rebuilt master comes with all of its conflicts
            conflicts_of.setdefault(conflict.citizen_id, []).append(conflict)
        for cid, master in changes.masters.items():
            plan.masters[cid] = encode_master(master, conflicts_of.get(cid, ()))
            plan.move(cid, index_keys(old_masters.get(cid), self.keys, self.secret),
                      index_keys(master, self.keys, self.secret))
        for old in retired:
            plan.retired[old] = changes.redirects.get(old)
            plan.move(old, index_keys(old_masters.get(old), self.keys, self.secret), set())
        plan.places = dict(changes.places)
        plan.orgs = dict(changes.organizations)
        for key, oid in changes.organizations.items():
            org = state.organizations.get(key)
            if org is not None and org.credit_code and org.code_valid:
                plan.credit[org.credit_code] = oid
        return plan, messages

    @staticmethod
    def _retired(changes: Changes, old: dict[str, MasterCitizen], resolver: Resolver) -> set[str]:
        gone = set(changes.redirects)
        for event in changes.lifecycle:
            gone.update(event.old_ids)
        return {cid for cid in gone if cid in old and cid not in resolver.current.masters}

    def _messages(self, resolver: Resolver, changes: Changes, old_masters: dict[str, MasterCitizen],
                  retired: set[str]) -> list[Message]:
        topics, city, state = self.settings.topics, self.settings.city_code, resolver.state
        m = self.mirrors
        out: list[Message] = []

        def put(topic: str, key: str, datum: dict[str, Any] | None) -> None:
            value = None if datum is None else self.codecs.serializer(topic)(datum)
            out.append((topic, self.codecs.serializer(topic, "key")(key), value))

        places = m.move_places(changes.places)
        orgs = m.move_orgs(changes.organizations)
        for cid in sorted(changes.masters):
            master = changes.masters[cid]
            places |= m.move_resident(cid, old_masters.get(cid), master)
            updated = outputs.latest_time(state.latest[r].record.updated_at for r in master.records
                                          if r in state.latest)
            put(topics.master_citizen, cid, outputs.citizen_datum(master, city, updated))
        for cid in sorted(retired):
            places |= m.move_resident(cid, old_masters.get(cid), None)
            put(topics.master_citizen, cid, None)  # tombstone; the redirect is in Redis and the lifecycle
        for pid in sorted(places):
            texts = m.texts_of_place.get(pid)
            if not texts:
                put(topics.master_address, pid, None)
                continue
            parsed = outputs.most_complete(state.addresses, texts)
            put(topics.master_address, pid, outputs.address_datum(pid, city, parsed, m.residents.get(pid, ())))
        for oid in sorted(orgs):
            keys = m.keys_of_org.get(oid)
            if not keys:
                put(topics.master_organization, oid, None)
                continue
            mentions = [state.organizations[k] for k in sorted(keys) if k in state.organizations]
            put(topics.master_organization, oid, outputs.organization_datum(oid, city, mentions))
        for event in changes.lifecycle:
            when = outputs.latest_time(state.latest[r].record.updated_at for r in event.moved_refs
                                       if r in state.latest)
            put(topics.lifecycle, event.new_id, outputs.lifecycle_datum(event, city, when))
        for conflict in changes.conflicts:
            put(topics.conflicts, conflict.citizen_id, outputs.conflict_datum(conflict, city))
        return out

    async def _produce(self, messages: list[Message]) -> None:
        pending = [await self.send(topic, key, value) for topic, key, value in messages]
        await asyncio.gather(*pending)

    async def _with_retries(self, what: str, write: Callable[[], Awaitable[None]]) -> None:
        """Retry until acknowledged or `patience_s` is spent: a slow sink must slow the stream, not end it.

        While this waits no further batch is taken, so the backlog stays in Kafka (back-pressure).
        """
        delay, attempt = 0.2, 0
        deadline = time.monotonic() + self.patience_s
        while True:
            attempt += 1
            try:
                await write()
                return
            except (TimeoutError, RedisError, OSError) as exc:
                failure = type(exc).__name__
            except Exception as exc:  # aiokafka's errors share no base we can name narrowly
                if type(exc).__module__.split(".")[0] != "aiokafka":
                    raise
                failure = type(exc).__name__
            if time.monotonic() + delay > deadline:
                raise SinkError(f"{what} did not acknowledge a batch in {self.patience_s:g}s ({attempt} attempts)")
            logger.warning("%s write failed (attempt %d, retrying for up to %.0fs more): %s", what, attempt,
                        deadline - time.monotonic(), failure)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
