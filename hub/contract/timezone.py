"""China Standard Time: departments that give an update time without an offset mean this zone."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Final

__all__ = ["CST"]

#: One shared tzinfo: comparisons of times that share it skip utcoffset calls.
CST: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
