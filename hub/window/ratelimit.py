"""Per-credential rate limits (token bucket): a hall's runaway script cannot starve the others.

Why in process memory: the limit protects this process's capacity; a shared Redis counter would
add a round trip to every read. With several workers each enforces its own share.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from hub.window.problems import RateLimitedError


class RateLimiter:
    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # credential -> (tokens, at)

    def take(self, who: str) -> None:
        now = self.clock()
        tokens, at = self._buckets.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[who] = (tokens, now)
            raise RateLimitedError("too many requests for this credential",
                                   retry_after_s=max(1, math.ceil((1.0 - tokens) / self.rate)))
        self._buckets[who] = (tokens - 1.0, now)
