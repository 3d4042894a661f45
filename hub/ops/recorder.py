"""What the processors measure, written to Redis for `hub serve`'s `/metrics`, `hub quality` and the page.

The processors call it at two points (clearly marked in processors/app.py and processors/resolve.py):
stage 1 for each department event (update → ingest → processing), stage 2 after each batch is written
(update → master in Redis, resolution outcomes, conflicts, unmatched IDs, write latencies). Counts build
up in memory and go to Redis in one pipeline at most every `flush_s`; a Redis failure here is logged and
the counts dropped — a measurement must never stop or slow the stream. Counters are at-least-once like
the stream: a redelivered batch is counted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.contract.records import DepartmentRecord
from hub.engine.lifecycle import LifecycleEvent
from hub.engine.policy import DEFAULT_POLICY_PATH
from hub.engine.survivorship import Conflict, MasterCitizen
from hub.ops.keys import FRESHNESS_BUCKETS, LATENCY_BUCKETS, OpsKeys, bucket_of

logger = logging.getLogger(__name__)


def policy_version() -> str:
    """Short digest of the resolution policy file: outcomes are counted per policy version."""
    try:
        return hashlib.sha256(DEFAULT_POLICY_PATH.read_bytes()).hexdigest()[:12]
    except OSError:
        return "unknown"


class Recorder:
    def __init__(self, redis: Redis, prefix: str, *, flush_s: float = 1.0) -> None:
        self.redis = redis
        self.keys = OpsKeys(prefix)
        self.flush_s = flush_s
        self.policy = policy_version()
        self._hist: Counter[tuple[str, str, str]] = Counter()  # (name, label, bucket) -> count
        self._sums: dict[tuple[str, str], float] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._last: dict[str, float] = {}
        self._flushed = time.monotonic()
        self._writing: asyncio.Task[None] | None = None

    # -- observations ----------------------------------------------------------------------------

    def observe(self, name: str, label: str, seconds: float, bounds: tuple[float, ...] = FRESHNESS_BUCKETS) -> None:
        seconds = max(0.0, seconds)
        self._hist[(name, label, bucket_of(seconds, bounds))] += 1
        self._sums[(name, label)] = self._sums.get((name, label), 0.0) + seconds

    def count(self, key: str, field: str, n: int = 1) -> None:
        if n:
            self._counts.setdefault(key, Counter())[field] += n

    def event_read(self, source: str, updated_at: datetime, ingested_at: datetime, now: float | None = None) -> None:
        """Stage 1: a department event was decoded."""
        now = time.time() if now is None else now
        self.observe("update_to_ingest", source, (ingested_at - updated_at).total_seconds())
        self.observe("ingest_to_processing", source, now - ingested_at.timestamp())

    def batch_written(self, records: Iterable[DepartmentRecord], citizens: Mapping[str, str | None],
                      masters: Mapping[str, MasterCitizen], old_masters: Mapping[str, MasterCitizen],
                      lifecycle: Iterable[LifecycleEvent], conflicts: Iterable[Conflict],
                      kafka_s: float, redis_s: float, now: float | None = None) -> None:
        """Stage 2: a batch reached Kafka and Redis; `citizens` maps each changed record ref to its master."""
        now = time.time() if now is None else now
        day = time.strftime("%Y-%m-%d", time.localtime(now))
        outcome = f"{day}|{self.policy}|"
        self.observe("sink_write", "kafka", kafka_s, LATENCY_BUCKETS)
        self.observe("sink_write", "redis", redis_s, LATENCY_BUCKETS)
        linked = 0
        for record in records:
            source = record.source
            self.observe("update_to_master", source, now - record.updated_at.timestamp())
            self.count(self.keys.events, source)
            self._last[source] = now
            ref = f"{source}/{record.record_id}"
            cid = citizens.get(ref)
            if cid is not None and cid in old_masters:
                linked += 1
            if getattr(record, "id_number", None):
                self.count(self.keys.with_id, source)
                master = masters.get(cid) if cid else None
                if master is not None and {r.split("/", 1)[0] for r in master.records} == {source}:
                    self.count(self.keys.unmatched, source)
        self.count(self.keys.outcomes, outcome + "linked", linked)
        for event in lifecycle:
            self.count(self.keys.outcomes, outcome + event.kind.value.lower())
        for c in conflicts:
            self.count(self.keys.outcomes, outcome + "conflict")
            self.count(self.keys.conflicts, f"{c.authoritative.source}|{c.contradicting.source}|{c.field}")

    # -- writing ---------------------------------------------------------------------------------

    async def flush(self, *, force: bool = False) -> None:
        """Write what was counted since the last flush (at most every `flush_s` unless forced).

        The write runs beside the stream, one at a time: a slow or paused Redis delays the figures, never
        the events (the stream's own Redis writes are what back-pressure waits on). `force` waits for it.
        """
        if self._writing is not None and not self._writing.done():
            if force:
                await self._writing
            else:
                return
        if not force and time.monotonic() - self._flushed < self.flush_s:
            return
        self._flushed = time.monotonic()
        hist, sums, counts, last = self._hist, self._sums, self._counts, self._last
        self._hist, self._sums, self._counts, self._last = Counter(), {}, {}, {}
        if not (hist or counts or last):
            return
        self._writing = asyncio.create_task(self._write(hist, sums, counts, last))
        if force:
            await self._writing

    async def _write(self, hist: Counter[tuple[str, str, str]], sums: dict[tuple[str, str], float],
                     counts: dict[str, Counter[str]], last: dict[str, float]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for (name, label, bucket), n in hist.items():
            pipe.hincrby(self.keys.histogram(name, label), bucket, n)
            pipe.hincrby(self.keys.histogram(name, label), "count", n)
        for (name, label), total in sums.items():
            pipe.hincrbyfloat(self.keys.histogram(name, label), "sum", total)
        if sums:
            pipe.sadd(self.keys.histograms, *sorted(f"{n}:{lab}" for n, lab in sums))
        for key, fields in counts.items():
            for field, n in fields.items():
                pipe.hincrby(key, field, n)
        if last:
            pipe.hset(self.keys.last_processed, mapping={s: repr(t) for s, t in last.items()})
        try:
            await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            logger.warning("ops measurements dropped, Redis refused them: %s", type(exc).__name__)
