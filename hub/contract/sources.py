"""The departments that publish records: one name each, spelled once for the whole hub."""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = ["SOURCES", "Source"]

#: A department's source name: its topic suffix, its record's `source` and its export prefix.
Source = Literal["civil_affairs", "health", "hrss", "tax", "commerce"]

#: Every source, in the order the contract lists them.
SOURCES: Final[tuple[Source, ...]] = get_args(Source)
