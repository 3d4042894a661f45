"""Reads back what the processors recorded (`hub.ops.recorder`) and tallies dead letters by reason.

Both `/metrics` and `hub quality report` read through here, so they show the same figures.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from redis import Redis

from hub.contract.sources import SOURCES, Source
from hub.ops.dlq import read_letters, reason_class
from hub.ops.keys import OpsKeys
from hub.settings import HubSettings


@dataclass
class Histogram:
    name: str
    label: str
    buckets: dict[str, int]  # upper bound (repr of float, or "+Inf") -> count in that bucket (not cumulative)
    total: float
    count: int

    def cumulative(self) -> list[tuple[str, int]]:
        bounds = sorted((float(b), n) for b, n in self.buckets.items() if b != "+Inf")
        out, running = [], 0
        for bound, n in bounds:
            running += n
            out.append((repr(bound), running))
        out.append(("+Inf", self.count))
        return out


@dataclass
class Recorded:
    histograms: list[Histogram] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    last_processed: dict[str, float] = field(default_factory=dict)
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (day, policy, outcome)
    conflicts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (authoritative, contradicting, field)
    with_id: dict[str, int] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ints(raw: dict[bytes, bytes]) -> dict[str, int]:
    return {_text(k): int(float(_text(v))) for k, v in raw.items()}


def read_recorded(redis: Redis, prefix: str) -> Recorded:
    keys = OpsKeys(prefix)
    series = sorted(_text(m) for m in redis.smembers(keys.histograms))
    pipe = redis.pipeline(transaction=False)
    for s in series:
        name, _, label = s.partition(":")
        pipe.hgetall(keys.histogram(name, label))
    for key in (keys.events, keys.last_processed, keys.outcomes, keys.conflicts, keys.with_id, keys.unmatched):
        pipe.hgetall(key)
    replies = pipe.execute()
    found = Recorded()
    for s, raw in zip(series, replies[: len(series)], strict=True):
        name, _, label = s.partition(":")
        values = {_text(k): _text(v) for k, v in raw.items()}
        total = float(values.pop("sum", "0"))
        count = int(values.pop("count", "0"))
        found.histograms.append(Histogram(name, label, {b: int(n) for b, n in values.items()}, total, count))
    events, last, outcomes, conflicts, with_id, unmatched = replies[len(series):]
    found.events = _ints(events)
    found.last_processed = {_text(k): float(_text(v)) for k, v in last.items()}
    found.outcomes = {tuple(k.split("|", 2)): n for k, n in _ints(outcomes).items()}  # type: ignore[misc]
    found.conflicts = {tuple(k.split("|", 2)): n for k, n in _ints(conflicts).items()}  # type: ignore[misc]
    found.with_id = _ints(with_id)
    found.unmatched = _ints(unmatched)
    return found


class DeadLetterTally:
    """Dead letters per (source, reason class), read incrementally: a long-lived server reads each letter once."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.positions: dict[str, dict[int, int]] = {s: {} for s in SOURCES}
        self._lock = threading.Lock()

    def refresh(self, settings: HubSettings) -> Counter[tuple[str, str]]:
        with self._lock:
            for source in SOURCES:
                s: Source = source
                seen = self.positions[s]
                for letter in read_letters(settings, s, start=dict(seen)):
                    _, p, offset = letter.id.split(":")
                    seen[int(p)] = max(seen.get(int(p), 0), int(offset) + 1)
                    self.counts[(s, reason_class(letter.reason))] += 1
            return Counter(self.counts)
