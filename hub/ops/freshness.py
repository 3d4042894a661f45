"""Per department: when its topic last received an event, and SILENT when that is longer ago than its cadence.

Zero lag on an idle topic looks healthy while a department's export has died; no lag tool can tell. The
newest record timestamp of dept.<source>.v1 (ListOffsets max-timestamp) against the department's expected
cadence (`ops.cadence_s`, e.g. civil affairs daily) does. Each reading is also kept as a sample in Redis
(age of the newest event over time) for the ops page's freshness chart.
"""

from __future__ import annotations

import time

import orjson
from confluent_kafka.admin import AdminClient
from pydantic import BaseModel
from redis import Redis

from hub.contract.sources import SOURCES
from hub.ops.keys import OpsKeys
from hub.ops.probe import partitions_of, topic_ends
from hub.settings import HubSettings
from hub.wire.topics import admin_client


class SourceActivity(BaseModel):
    source: str
    topic: str
    last_event_at: float | None  # epoch seconds of the newest event, None when the topic is empty
    age_s: float | None
    cadence_s: float
    silent: bool
    events: int  # events in the topic (sum of end offsets)


def silent(last_event_at: float | None, cadence_s: float, now: float) -> bool:
    """SILENT when nothing arrived within the cadence (an empty topic has never received anything)."""
    return last_event_at is None or now - last_event_at > cadence_s


def activity(settings: HubSettings, *, admin: AdminClient | None = None, now: float | None = None
             ) -> list[SourceActivity]:
    admin = admin or admin_client(settings)
    now = time.time() if now is None else now
    topics = {s: settings.topics.dept(s) for s in SOURCES}
    parts = partitions_of(admin, topics.values(), settings.request_timeout_s)
    ends = topic_ends(admin, parts, settings.request_timeout_s, newest=True)
    found: list[SourceActivity] = []
    for source, topic in topics.items():
        newest = ends.latest_ms.get(topic)
        last = None if newest is None else newest / 1000.0
        cadence = settings.ops.cadence_s.get(source, 86_400.0)
        events = sum(e for (t, _), e in ends.end.items() if t == topic)
        found.append(SourceActivity(source=source, topic=topic, last_event_at=last,
                                    age_s=None if last is None else round(now - last, 3), cadence_s=cadence,
                                    silent=silent(last, cadence, now), events=events))
    return found


def keep_samples(redis: Redis, keys: OpsKeys, found: list[SourceActivity], now: float, keep_s: float) -> None:
    pipe = redis.pipeline(transaction=False)
    for a in found:
        key = keys.freshness_samples(a.source)
        pipe.zadd(key, {orjson.dumps([now, a.age_s]): now})
        pipe.zremrangebyscore(key, "-inf", now - keep_s)
        pipe.zremrangebyrank(key, 0, -2001)
        pipe.expire(key, int(keep_s) + 60)
    pipe.execute()


def age_history(redis: Redis, keys: OpsKeys, source: str) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    for member in redis.zrange(keys.freshness_samples(source), 0, -1):
        at, age = orjson.loads(member)
        out.append((float(at), None if age is None else float(age)))
    return out
