"""`ParsedRow`: one row of a department file as read, good or bad, with where it is in the file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from hub.contract.errors import BadRecordError
from hub.contract.records import AnyDepartmentRecord
from hub.contract.sources import Source

__all__ = ["ParsedRow"]

logger = logging.getLogger(__name__)


class ParsedRow(NamedTuple):
    """A row of a file: its typed record or the reason it cannot be read, and its place in the file.

    ``offset`` is the byte offset where the row starts and ``next_offset`` where the next one starts:
    reading again from ``next_offset`` (``read_file(path, start_offset=row.next_offset)``) goes on with the
    following row, so a connector checkpoints ``next_offset`` once the row is published. ``raw`` is the row's
    bytes as in the file without the final line terminator (only part of it, for a row over the size
    limit).
    ``line`` is the 1-based physical line the row starts on. ``key`` is the record key as written
    (stripped), also for a bad row when its key column could still be read, else None.
    """

    source: Source
    path: Path
    line: int
    offset: int
    next_offset: int
    raw: bytes
    key: str | None
    result: AnyDepartmentRecord | BadRecordError

    @property
    def record(self) -> AnyDepartmentRecord | None:
        result = self.result
        return None if isinstance(result, BadRecordError) else result

    @property
    def error(self) -> BadRecordError | None:
        result = self.result
        return result if isinstance(result, BadRecordError) else None
