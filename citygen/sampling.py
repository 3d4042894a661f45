"""Weighted picks with the cumulative weights computed once (random.choices rebuilds them every call)."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed weighted distribution over values; `pick` costs one random() and one bisect."""

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, values: Sequence[T], weights: Sequence[float]) -> None:
        if len(values) != len(weights) or not values:
            raise ValueError("values and weights must be non-empty and of equal length")
        self._values = tuple(values)
        self._cum = list(accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> T:
        return self._values[bisect.bisect_right(self._cum, rng.random() * self._total)]
