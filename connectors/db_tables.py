"""How a department's table looks to the DB connector: key and update-time columns, and its values as text.

Department tables use the column names of the department's export (`docs/departments.md`), so a
polled row goes through the very same `connectors.formats.parse_row` as a file row or an HTTP push. The
database hands back typed values (timestamps, dates, numbers); `row_fields` writes them in the department's
own text format (民政 `YYYY-MM-DD HH:MM:SS`, 卫健 ISO 8601 with offset, 人社 `YYYY/MM/DD HH:MM`, ...),
so that one mapping decides what a row means, whichever way it arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hub.contract.sources import Source
from hub.contract.timezone import CST
from hub.wire.events import epoch_millis

__all__ = ["TABLES", "TableLayout", "row_fields"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableLayout:
    """Key and update-time columns of a department table, and how its dates and times are written."""

    source: Source
    key_column: str
    updated_column: str
    date_format: str
    datetime_format: str  # "iso" (ISO 8601 with offset), "epoch_ms" (integer), or a strftime pattern


TABLES: dict[Source, TableLayout] = {
    "civil_affairs": TableLayout("civil_affairs", "记录编号", "更新时间", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"),
    "health": TableLayout("health", "档案号", "最后更新时间", "%Y%m%d", "iso"),
    "hrss": TableLayout("hrss", "个人编号", "变更时间", "%Y%m%d", "%Y/%m/%d %H:%M"),
    "tax": TableLayout("tax", "nsrbh", "gxsj", "%Y-%m-%d", "epoch_ms"),
    "commerce": TableLayout("commerce", "统一社会信用代码", "核准日期", "%Y-%m-%d", "%Y-%m-%d"),
}


def _cst(moment: datetime) -> datetime:
    """Naive database timestamps are China Standard Time, like every department time without an offset."""
    return moment.replace(tzinfo=CST) if moment.tzinfo is None else moment.astimezone(CST)


def _text(layout: TableLayout, value: Any) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if layout.datetime_format == "epoch_ms":
            return epoch_millis(_cst(value))
        if layout.datetime_format == "iso":
            return _cst(value).isoformat(timespec="seconds")
        return _cst(value).strftime(layout.datetime_format)
    if isinstance(value, date):
        return value.strftime(layout.date_format)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if layout.source == "tax" else str(value)
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def row_fields(layout: TableLayout, row: Mapping[str, Any]) -> dict[str, object]:
    """A fetched row as the department would have written it (text; tax keeps its JSON numbers)."""
    return {column: _text(layout, value) for column, value in row.items()}
