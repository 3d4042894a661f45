"""Consumer statuses and their order, as Burrow names and ranks them.

Kept apart from the evaluator so that metrics, the CLI and the page name statuses one way. The rank is
Burrow's (OK < WARN < STOP < STALL < REWIND): a group takes the highest rank of its partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    STOP = "STOP"
    STALL = "STALL"
    REWIND = "REWIND"


RANK: dict[Status, int] = {Status.OK: 0, Status.WARN: 1, Status.STOP: 2, Status.STALL: 3, Status.REWIND: 4}


def worst(statuses: Iterable[Status]) -> Status:
    """The highest-ranked status; OK when there is none (a group with no partitions has nothing wrong)."""
    return max(statuses, key=RANK.__getitem__, default=Status.OK)
