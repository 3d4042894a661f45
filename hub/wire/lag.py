"""Consumer lag of a group: events on its topics that it has not committed yet.

Lag per partition is the high watermark minus the committed offset (from the low watermark when
nothing is committed yet, as `auto.offset.reset=earliest` would read).
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.settings import HubSettings
from hub.wire.offsets import group_spans


def group_lag(settings: HubSettings, group: str, topics: Iterable[str]) -> int:
    """Total uncommitted events of `group` over `topics` (topics that do not exist count 0)."""
    return sum(span.end - span.start for span in group_spans(settings, group, topics))
