"""Redis keys of the operations data (one place spells them), under `<processors.redis_prefix>ops:`.

Measurements are made in the processors' process and read by `hub serve` and the CLI, so they meet in
Redis: counters and histogram buckets as hashes, which any process can add to atomically (HINCRBY).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Upper bounds (seconds) of the freshness and write-latency histograms; +Inf is implied.
FRESHNESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 86_400.0, 3 * 86_400.0, 7 * 86_400.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: The hops of a record's journey that are timed: department update → connector ingest → the processors
#: reading it (stage 1) → its master written to Redis (stage 2, end to end from the department's update).
HOPS = ("update_to_ingest", "ingest_to_processing", "update_to_master")


@dataclass(frozen=True)
class OpsKeys:
    prefix: str = "hub:"

    def _k(self, name: str) -> str:
        return f"{self.prefix}ops:{name}"

    def histogram(self, name: str, label: str) -> str:
        """Hash of bucket counts ("le" → count, "+Inf", "sum", "count") of one histogram series."""
        return self._k(f"hist:{name}:{label}")

    @property
    def histograms(self) -> str:
        """Set of "name:label" of every histogram series written (to read them without SCAN)."""
        return self._k("hists")

    @property
    def events(self) -> str:
        return self._k("events")  # source -> events processed by stage 2

    @property
    def last_processed(self) -> str:
        return self._k("last")  # source -> epoch seconds of the latest master write for it

    @property
    def outcomes(self) -> str:
        return self._k("outcomes")  # "<day>|<policy>|<outcome>" -> count

    @property
    def conflicts(self) -> str:
        return self._k("conflicts")  # "<authoritative>|<contradicting>|<field>" -> count

    @property
    def with_id(self) -> str:
        return self._k("with_id")  # source -> records carrying an ID number

    @property
    def unmatched(self) -> str:
        return self._k("unmatched")  # source -> of those, records whose master holds no other department

    def freshness_samples(self, source: str) -> str:
        return self._k(f"age:{source}")  # zset of [at, seconds since the newest event] samples


def bucket_of(value: float, bounds: tuple[float, ...]) -> str:
    """The histogram bucket a value falls in: the smallest bound it does not exceed, or +Inf."""
    for bound in bounds:
        if value <= bound:
            return repr(bound)
    return "+Inf"
