"""Time as integer epoch milliseconds (China Standard Time for calendar maths), and the export periods.

Integers keep comparisons exact across departments that write different precisions (seconds,
minutes, days, milliseconds): every version time is generated at the precision its department
writes, so what a file says is exactly the time the truth uses.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TypeVar

from hub.contract.timezone import CST

T = TypeVar("T")

MS_PER_DAY = 86_400_000
MS_PER_MINUTE = 60_000


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, CST)


def date_of(ms: int) -> date:
    return from_ms(ms).date()


@lru_cache(maxsize=65536)
def day_start(day: date) -> int:
    return to_ms(datetime(day.year, day.month, day.day, tzinfo=CST))


def floor_to(ms: int, unit: int) -> int:
    """Round down to a unit, aligned to CST midnight (CST has no DST, so an offset is enough)."""
    offset = 8 * 3_600_000
    return (ms + offset) // unit * unit - offset


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1, day=1)


@dataclass(frozen=True)
class Periods:
    """Export periods: index 0 is the base (everything before `cut`), k>0 is the k-th month after it."""

    cut: int
    bounds: tuple[int, ...]  # start of each delta month, then the end of the last one
    labels: tuple[str, ...]  # yyyymmdd of each delta month's start

    @classmethod
    def make(cls, cut: datetime, deltas: int) -> Periods:
        starts = [add_months(cut, k) for k in range(deltas + 1)]
        return cls(to_ms(cut), tuple(to_ms(s) for s in starts), tuple(f"{s:%Y%m%d}" for s in starts[:-1]))

    @property
    def end(self) -> int:
        return self.bounds[-1]

    def period_of(self, ms: int) -> int | None:
        """0 for the base, k for the k-th delta, None if after the last delta."""
        if ms < self.cut:
            return 0
        if ms >= self.end:
            return None
        return bisect.bisect_right(self.bounds, ms)


def at(history: Sequence[tuple[int, T]], ms: int) -> T:
    """The value of a (from_ms, value) history at a moment; the first entry holds from the beginning."""
    chosen = history[0][1]
    for start, value in history:
        if start <= ms:
            chosen = value
        else:
            break
    return chosen


def days(n: float) -> int:
    return int(n * MS_PER_DAY)

