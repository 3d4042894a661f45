"""The history the status rules need, kept in Redis so that one `hub lag` run still has a window.

One sorted set per (group, topic, partition), scored by observation time, holding (time, committed, end,
low) samples; samples older than `keep_s` are trimmed at every write, and a key nobody writes expires.
Every caller that observes offsets (`hub lag`, `/metrics`, `/ops`) adds its sample, so the window fills
at the rate anyone looks.
"""

from __future__ import annotations

import logging

import orjson
from redis import Redis
from redis.exceptions import RedisError

from hub.ops.evaluator import Sample

logger = logging.getLogger(__name__)

#: At most this many samples per partition (a tight polling loop must not grow Redis without bound).
MAX_SAMPLES = 2000


class SampleStore:
    def __init__(self, redis: Redis, prefix: str, keep_s: float) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keep_s = keep_s
        self.degraded = False

    def key(self, group: str, topic: str, partition: int) -> str:
        return f"{self.prefix}ops:lag:{group}:{topic}:{partition}"

    def record(self, observed: dict[tuple[str, str, int], Sample]) -> dict[tuple[str, str, int], list[Sample]]:
        """Add one sample per partition and return each partition's history (oldest first), in two round trips.

        Without Redis the history is just this sample: the offsets still come from Kafka, and the status is
        judged on what one look can see (`degraded` says so) instead of failing the whole report.
        """
        try:
            history = self._record(observed)
        except (RedisError, OSError) as exc:
            logger.warning("lag history unavailable (Redis: %s): judging on the current sample alone",
                           type(exc).__name__)
            self.degraded = True
            return {k: [s] for k, s in observed.items()}
        self.degraded = False
        return history

    def _record(self, observed: dict[tuple[str, str, int], Sample]) -> dict[tuple[str, str, int], list[Sample]]:
        pipe = self.redis.pipeline(transaction=False)
        for (group, topic, partition), s in observed.items():
            key = self.key(group, topic, partition)
            member = orjson.dumps([s.at, s.committed, s.end, s.low])
            pipe.zadd(key, {member: s.at})
            pipe.zremrangebyscore(key, "-inf", s.at - self.keep_s)
            pipe.zremrangebyrank(key, 0, -MAX_SAMPLES - 1)
            pipe.expire(key, int(self.keep_s) + 60)
        pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        keys = list(observed)
        for group, topic, partition in keys:
            pipe.zrange(self.key(group, topic, partition), 0, -1)
        replies = pipe.execute()
        return {k: [_sample(m) for m in members] for k, members in zip(keys, replies, strict=True)}

    def history(self, group: str, topic: str, partition: int) -> list[Sample]:
        return [_sample(m) for m in self.redis.zrange(self.key(group, topic, partition), 0, -1)]


def _sample(member: bytes) -> Sample:
    at, committed, end, low = orjson.loads(member)
    return Sample(float(at), None if committed is None else int(committed), int(end), int(low))
