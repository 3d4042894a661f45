"""`read_file`: the rows of one department file, streamed, each with its byte offsets for resuming."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from hub.contract.sources import Source

from .csv_rows import csv_rows
from .dialect import Dialect
from .dialects import DIALECTS, detect_source
from .errors import ResumeOffsetError
from .jsonl_rows import jsonl_rows
from .lines import CHUNK_SIZE, MAX_ROW_BYTES
from .rows import ParsedRow
from .scan import FileScan

__all__ = ["read_file"]

logger = logging.getLogger(__name__)


def read_file(
    path: str | Path,
    source: Source | None = None,
    start_offset: int = 0,
    *,
    max_row_bytes: int = MAX_ROW_BYTES,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[ParsedRow]:
    """Stream the rows of a department file as `ParsedRow`s, good and bad, in file order.

    `source` defaults to the department told by the file name (`detect_source`). `start_offset` is a row
    start, normally a previous row's ``next_offset``; a CSV file's header is still read first for its
    column names. Memory is bounded by the row limit whatever the file size.

    Raises `UnknownSourceError` (file name) and `ResumeOffsetError` (negative offset) at once, and on
    iteration `ResumeOffsetError` (offset past the end or not a row start) and `OSError` (cannot open).
    A row that cannot be read never raises: it comes as a `ParsedRow` holding a `BadRecordError`.

    The file is read as it is while being read: a file deleted meanwhile is read to its end (the open
    handle keeps it); of a file that grows, appended rows are read only as complete lines, and an
    unterminated last line past the size it had when opened is left for a later read from the last
    ``next_offset``. A file truncated meanwhile ends early, its last partial line read as a row.
    The file stays open until the iterator is exhausted or closed.
    """
    path = Path(path)
    dialect = DIALECTS[source or detect_source(path)]
    if start_offset < 0:
        raise ResumeOffsetError(f"{path}: resume offset {start_offset} is negative")
    return _rows(path, dialect, start_offset, max_row_bytes, chunk_size)


def _rows(path: Path, dialect: Dialect, start_offset: int, max_row_bytes: int, chunk_size: int) -> Iterator[ParsedRow]:
    with path.open("rb", buffering=0) as fh:  # reads are chunk-sized; a buffer would only copy
        scan = FileScan(fh, path, dialect, os.fstat(fh.fileno()).st_size, max_row_bytes, chunk_size)
        if dialect.is_csv:
            yield from csv_rows(scan, start_offset)
        else:
            yield from jsonl_rows(scan, start_offset)
