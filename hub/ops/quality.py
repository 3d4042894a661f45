"""`hub quality report` (多元校核): conflicts per department pair and field, rows rejected per department and
reason, link / merge / split rates per day and policy version, unmatched-ID rates — the figures `/metrics`
exports, read from the same places (`hub.ops.counters`)."""

from __future__ import annotations

from collections import Counter

import orjson
from pydantic import BaseModel
from redis import Redis

from hub.ops.counters import DeadLetterTally, read_recorded
from hub.readmodel.store import ReportKeys
from hub.settings import HubSettings


class ConflictCount(BaseModel):
    authoritative: str
    contradicting: str
    field: str
    count: int


class RejectCount(BaseModel):
    source: str
    reason: str
    count: int


class DayOutcomes(BaseModel):
    day: str
    policy: str
    counts: dict[str, int]
    records: int
    link_rate: float | None  # linked records / records applied that day
    merge_rate: float | None  # merges per 1,000 records
    split_rate: float | None


class Unmatched(BaseModel):
    source: str
    records_with_id: int
    unmatched: int
    rate: float | None


class FeedbackCount(BaseModel):
    """Counter reports (多元校核) routed to one department: open (awaiting its answer) and closed."""

    owner: str
    open: int
    closed: int


class QualityReport(BaseModel):
    conflicts: list[ConflictCount]
    rejected: list[RejectCount]
    outcomes: list[DayOutcomes]
    unmatched_ids: list[Unmatched]
    feedback: list[FeedbackCount]


def report(settings: HubSettings, redis: Redis | None = None, tally: DeadLetterTally | None = None) -> QualityReport:
    redis = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    rec = read_recorded(redis, settings.processors.redis_prefix)
    rejects = (tally or DeadLetterTally()).refresh(settings)
    days: dict[tuple[str, str], Counter[str]] = {}
    for (day, policy, outcome), n in rec.outcomes.items():
        days.setdefault((day, policy), Counter())[outcome] += n
    # records applied per day are not split by day in the events counter; use linked + created as the base
    outcomes = []
    for (day, policy), counts in sorted(days.items()):
        records = counts["linked"] + counts["created"]
        outcomes.append(DayOutcomes(
            day=day, policy=policy, counts=dict(counts), records=records,
            link_rate=round(counts["linked"] / records, 4) if records else None,
            merge_rate=round(1000 * counts["merged"] / records, 3) if records else None,
            split_rate=round(1000 * counts["split"] / records, 3) if records else None))
    return QualityReport(
        conflicts=[ConflictCount(authoritative=a, contradicting=c, field=f, count=n)
                   for (a, c, f), n in sorted(rec.conflicts.items(), key=lambda kv: -kv[1])],
        rejected=[RejectCount(source=s, reason=r, count=n) for (s, r), n in rejects.most_common()],
        outcomes=outcomes,
        unmatched_ids=[Unmatched(source=s, records_with_id=n, unmatched=rec.unmatched.get(s, 0),
                                 rate=round(rec.unmatched.get(s, 0) / n, 4) if n else None)
                       for s, n in sorted(rec.with_id.items())],
        feedback=feedback_counts(redis, ReportKeys(settings.window.redis_prefix)),
    )


def feedback_counts(redis: Redis, keys: ReportKeys) -> list[FeedbackCount]:
    """Reports per owning department, from the window's report store (open: still in its open set)."""
    open_ids = {_text(i) for i in redis.smembers(keys.open)}
    counts: dict[str, Counter[str]] = {}
    for key in redis.scan_iter(match=keys.report("*"), count=1000):
        raw = redis.get(key)
        if raw is None:
            continue
        found = orjson.loads(raw)
        state = "open" if found.get("report_id") in open_ids else "closed"
        counts.setdefault(str(found.get("owner")), Counter())[state] += 1
    return [FeedbackCount(owner=o, open=c["open"], closed=c["closed"]) for o, c in sorted(counts.items())]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
