"""Which dialect a file or a source uses, and the department-neutral entry points over the dialects."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from hub.contract.errors import BadRecordError
from hub.contract.records import AnyDepartmentRecord
from hub.contract.sources import Source

from . import civil_affairs, commerce, health, hrss, tax
from .dialect import Dialect
from .errors import UnknownSourceError

__all__ = ["DIALECTS", "detect_source", "invalid_record", "parse_row"]

logger = logging.getLogger(__name__)

DIALECTS: dict[Source, Dialect] = {
    dialect.source: dialect
    for dialect in (civil_affairs.DIALECT, health.DIALECT, hrss.DIALECT, tax.DIALECT, commerce.DIALECT)
}


def detect_source(path: str | Path) -> Source:
    """The department that wrote a file, from its name (``civil_affairs*.csv``, ``tax*.jsonl``, ...).

    Matching ignores case (``Health_0501.CSV`` is health). Raises `UnknownSourceError` naming the patterns.
    """
    name = Path(path).name
    folded = name.lower()
    for dialect in DIALECTS.values():
        if folded.startswith(dialect.prefix) and folded.endswith(dialect.suffix):
            return dialect.source
    patterns = ", ".join(f"{d.prefix}*{d.suffix}" for d in DIALECTS.values())
    raise UnknownSourceError(f"cannot tell the department of {name!r}: expected one of {patterns}")


def invalid_record(source: Source, exc: Exception) -> BadRecordError:
    """A BadRecordError for a value error the mapping did not foresee (e.g. the model refusing a value)."""
    summary = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return BadRecordError(f"record does not fit the {source} record model: {summary}")


def parse_row(source: Source, fields: Mapping[str, object]) -> AnyDepartmentRecord:
    """Map one row as the department writes it (its column names or JSON keys) to its typed record.

    For the CSV departments values must be text or null (null and blank read as missing); for tax they are
    JSON values of the documented types. Unknown keys are ignored. Raises `BadRecordError` naming the
    column when the row cannot be read; no other exception escapes for bad values.
    """
    try:
        dialect = DIALECTS[source]
    except KeyError:
        raise UnknownSourceError(f"unknown source {source!r}") from None
    try:
        return dialect.parse_row(fields)
    except BadRecordError:
        raise
    except (ValueError, ArithmeticError) as exc:
        raise invalid_record(source, exc) from exc
