"""`hub lag`: every expected group's lag in events and seconds, judged by Burrow's rules over a window.

The report is the interface outside checks rely on; `model_dump()` gives exactly
`{"groups": [{"group", "status", "total_lag", "partitions": [{"topic", "partition", "committed", "end",
"lag", "lag_seconds", "status"}]}]}`. The rule, its evidence and the group's membership ride along for the
table and the page but are left out of that dump.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, Field
from redis import Redis

from hub.ops.evaluator import Sample, evaluate
from hub.ops.groups import expected_groups
from hub.ops.probe import GroupState, probe_groups
from hub.ops.samples import SampleStore
from hub.ops.status import Status, worst
from hub.settings import HubSettings


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int
    lag_seconds: float | None
    status: Status
    rule: str = Field(default="", exclude=True)
    evidence: str = Field(default="", exclude=True)


class GroupLag(BaseModel):
    group: str
    status: Status
    total_lag: int
    partitions: list[PartitionLag]
    state: str = Field(default="", exclude=True)
    members: int = Field(default=0, exclude=True)
    max_lag_seconds: float | None = Field(default=None, exclude=True)


class LagReport(BaseModel):
    groups: list[GroupLag]
    observed_at: float = Field(default=0.0, exclude=True)


def lag_seconds(oldest_ms: int | None, lag: int, now: float) -> float | None:
    """Age of the oldest unprocessed record: 0 when caught up, None when it could not be read."""
    if lag == 0:
        return 0.0
    if oldest_ms is None:
        return None
    return max(0.0, round(now - oldest_ms / 1000.0, 3))


def judge(states: list[GroupState], store: SampleStore, settings: HubSettings, now: float) -> LagReport:
    """Record this observation as a sample, then evaluate each partition over its history."""
    ops = settings.ops
    observed = {
        (g.group, p.topic, p.partition): Sample(now, p.committed, p.end, p.low)
        for g in states for p in g.partitions
    }
    histories = store.record(observed)
    groups: list[GroupLag] = []
    for g in states:
        consuming = g.members > 0
        rows: list[PartitionLag] = []
        for p in g.partitions:
            verdict = evaluate(histories[(g.group, p.topic, p.partition)], now, ops.lag_window_s,
                               allowed_lag=ops.allowed_lag, consuming=consuming)
            rows.append(PartitionLag(
                topic=p.topic, partition=p.partition, committed=p.committed, end=p.end, lag=p.lag,
                lag_seconds=lag_seconds(p.oldest_ms, p.lag, now), status=verdict.status,
                rule=verdict.rule, evidence=verdict.evidence))
        seconds = [r.lag_seconds for r in rows if r.lag_seconds is not None]
        groups.append(GroupLag(group=g.group, status=worst(r.status for r in rows),
                               total_lag=sum(r.lag for r in rows), partitions=rows, state=g.state,
                               members=g.members, max_lag_seconds=max(seconds, default=None)))
    return LagReport(groups=groups, observed_at=now)


def collect(settings: HubSettings, redis: Redis | None = None, *, now: float | None = None) -> LagReport:
    """Probe Kafka for every expected group, keep the sample, judge the window."""
    redis = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    store = SampleStore(redis, settings.processors.redis_prefix, settings.ops.lag_keep_s)
    states = probe_groups(settings, expected_groups(settings))
    return judge(states, store, settings, time.time() if now is None else now)
