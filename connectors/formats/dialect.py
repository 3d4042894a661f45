"""The description of one department's export dialect, so the readers stay generic over departments."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from hub.contract.records import AnyDepartmentRecord
from hub.contract.sources import Source

__all__ = ["Dialect", "csv_dialect"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one department writes its exports: file naming, encoding, layout and the column mapping.

    `build` takes the row's values by column name, already stripped (blank is ``""``, an absent optional
    column is simply missing), and is what the CSV reader calls; `parse_row` takes an arbitrary mapping
    (CSV columns or JSON keys as the department writes them, values unchecked) and checks types first.
    """

    source: Source
    prefix: str
    suffix: Literal[".csv", ".jsonl"]
    encoding: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    build: Callable[[Mapping[str, str]], AnyDepartmentRecord]
    parse_row: Callable[[Mapping[str, object]], AnyDepartmentRecord]

    @property
    def is_csv(self) -> bool:
        return self.suffix == ".csv"


def csv_dialect(
    source: Source,
    encoding: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    build: Callable[[Mapping[str, str]], AnyDepartmentRecord],
) -> Dialect:
    """A CSV department: its file prefix is its name, and a pushed row is cleaned like a file row."""
    from .values import clean_text_row

    def parse_row(fields: Mapping[str, object]) -> AnyDepartmentRecord:
        return build(clean_text_row(fields, columns))

    return Dialect(source=source, prefix=source, suffix=".csv", encoding=encoding, columns=columns,
                   required=required, build=build, parse_row=parse_row)
