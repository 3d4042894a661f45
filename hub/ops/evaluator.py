"""Burrow's consumer status rules over a time window of offset samples (pure: samples in, verdict out).

Burrow judges a partition on its last ten commits, which for processors committing every second is a
ten-second window, and it needs commit timestamps. The AdminClient gives committed offsets without times,
so the hub samples (time, committed, log end) and judges the samples of the last `window_s` seconds:

- **OK** when the current lag is at most `allowed_lag` (caught up), or nothing below applies;
- **REWIND** when a committed offset went backwards in the window and no later sample got back to it;
- **STOP** at once when lag is above `allowed_lag`, the group has no live member and its committed offset
  did not move since the previous look (nothing is committing: the processors are down, or the group
  vanished); else when the committed offset has not moved for the whole window while lag stayed above
  `allowed_lag` and nothing new arrived;
- **STALL** when the committed offset has not moved for the whole window, lag stayed up and grew, while a
  consumer is still a member (committing, or at least present, but not moving);
- **WARN** when the window is complete, lag stayed above `allowed_lag` and never decreased from sample to
  sample and grew overall, though the committed offset moved (consuming, but falling behind).

Each verdict names the rule and its evidence in numbers, so an operator can check it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from hub.ops.status import Status


@dataclass(frozen=True, slots=True)
class Sample:
    """One observation of a partition: when, the group's committed offset (None: none) and the log's ends."""

    at: float  # seconds since the epoch
    committed: int | None
    end: int
    low: int = 0

    @property
    def lag(self) -> int:
        """Events not yet committed (from the low watermark when nothing is committed, as `earliest` reads)."""
        start = self.low if self.committed is None else self.committed
        return max(0, self.end - start)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    rule: str
    evidence: str
    complete: bool  # the samples span the whole window


def evaluate(history: Sequence[Sample], now: float, window_s: float, *, allowed_lag: int = 0,
             consuming: bool | None = None) -> Verdict:
    """The status of one partition from its samples (the newest is the current state).

    `consuming` says whether the group has a live member (None: unknown). Samples may come in any order.
    """
    samples = sorted(history, key=lambda s: s.at)
    if not samples:
        return Verdict(Status.OK, "no-data", "no sample yet", False)
    current = samples[-1]
    complete = now - samples[0].at >= window_s
    if current.lag <= allowed_lag:
        return Verdict(Status.OK, "caught-up", f"lag {current.lag} <= allowed {allowed_lag}", complete)
    window = [s for s in samples if s.at >= now - window_s] or [current]
    rewind = _rewind(window)
    if rewind is not None:
        return Verdict(Status.REWIND, "rewind", rewind, complete)
    if consuming is False and (len(samples) < 2 or samples[-2].committed == current.committed):
        return Verdict(Status.STOP, "no-consumer",
                       f"no member to commit, committed {_offset(current.committed)}, lag {current.lag}", complete)
    since = current.at
    for s in reversed(samples):
        if s.committed != current.committed:
            break
        since = s.at
    stuck_s = now - since
    lagging = all(s.lag > allowed_lag for s in window)
    grew = current.lag > window[0].lag
    if stuck_s >= window_s and lagging:
        where = f"committed {_offset(current.committed)} unchanged for {stuck_s:.0f}s >= window {window_s:g}s"
        if consuming is False:
            return Verdict(Status.STOP, "stop", f"{where}; no member; end {current.end}", True)
        if grew:
            return Verdict(Status.STALL, "stall",
                           f"{where}; lag grew {window[0].lag} -> {current.lag}; consumer present", True)
        return Verdict(Status.STOP, "stop", f"{where}; lag {current.lag}, nothing new arrived", True)
    moved = window[-1].committed != window[0].committed
    rising = all(b.lag >= a.lag for a, b in pairwise(window))
    if complete and lagging and moved and rising and grew and len(window) >= 2:
        return Verdict(Status.WARN, "warn",
                       f"lag rose {window[0].lag} -> {current.lag} over {len(window)} samples "
                       f"while committed moved {_offset(window[0].committed)} -> {_offset(current.committed)}",
                       complete)
    return Verdict(Status.OK, "ok", f"lag {current.lag}; no rule fired over {len(window)} samples", complete)


def _rewind(window: Sequence[Sample]) -> str | None:
    """Evidence of a committed offset that went back and stayed below where it was, else None."""
    for i in range(1, len(window)):
        before, after = window[i - 1].committed, window[i].committed
        if before is None or after is None or after >= before:
            continue
        if not any(s.committed is not None and s.committed >= before for s in window[i + 1:]):
            return f"committed went back {before} -> {after} and did not return"
    return None


def _offset(value: int | None) -> str:
    return "none" if value is None else str(value)
