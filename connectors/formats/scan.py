"""`FileScan`: one open department file being read, and where reading may start in it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .dialect import Dialect
from .errors import ResumeOffsetError
from .lines import CHUNK_SIZE, LineFeeder

__all__ = ["UTF8_BOM", "FileScan"]

logger = logging.getLogger(__name__)

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class FileScan:
    """An open file with its dialect and the size it had when opened (to tell a grown file's new tail)."""

    fh: BinaryIO
    path: Path
    dialect: Dialect
    snapshot_size: int
    max_row_bytes: int
    chunk_size: int

    def feeder_at(self, offset: int) -> LineFeeder:
        """Lines from a row start. Offset 0 (or inside a leading BOM) means the first line, BOM skipped.

        Any other offset must be a row start: within the file and right after a newline. Line numbers go on
        from the number of newlines before it, which costs one fast pass over that part of the file.
        """
        bom = self._bom_length()
        if offset <= bom:
            offset, line_no = bom, 0
        else:
            self._check_row_start(offset)
            line_no = self._count_newlines(offset)
        return LineFeeder(
            self.fh,
            encoding=self.dialect.encoding,
            offset=offset,
            line_no=line_no,
            snapshot_size=self.snapshot_size,
            max_row_bytes=self.max_row_bytes,
            chunk_size=self.chunk_size,
        )

    def _bom_length(self) -> int:
        """A UTF-8 BOM is skipped in every UTF-8 dialect: civil affairs writes one, others might."""
        if self.dialect.encoding != "utf-8":
            return 0
        self.fh.seek(0)
        return len(UTF8_BOM) if self.fh.read(len(UTF8_BOM)) == UTF8_BOM else 0

    def _check_row_start(self, offset: int) -> None:
        if offset > self.snapshot_size:
            raise ResumeOffsetError(
                f"{self.path}: resume offset {offset} is past the end of the file "
                f"({self.snapshot_size} bytes); was the file replaced or truncated?"
            )
        self.fh.seek(offset - 1)
        if self.fh.read(1) != b"\n":
            raise ResumeOffsetError(
                f"{self.path}: resume offset {offset} is not the start of a row (no newline before it)"
            )

    def _count_newlines(self, offset: int) -> int:
        self.fh.seek(0)
        count = 0
        remaining = offset
        while remaining > 0:
            chunk = self.fh.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
        return count
