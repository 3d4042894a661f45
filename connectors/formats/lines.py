"""Physical lines of a department file, read in bounded chunks and decoded one line at a time.

Lines are split on the byte ``\\n``. That is safe in every department encoding: UTF-8 continuation bytes
are >= 0x80 and GBK trail bytes are 0x40–0xFE, so neither is ever ``\\n`` (0x0A), ``"`` (0x22), ``,``
(0x2C) or ``\\r`` (0x0D). Decoding per line means a bad byte sequence costs only the row it is in.

`LineFeeder` is an iterator of decoded lines (each ending in ``\\n`` as read, so that ``csv.reader`` keeps
newlines inside quoted fields) and, on the side, the state of the record being read: its raw bytes, the
first problem met in it, and the byte offset after the last line handed out. The record readers reset
that state before each record. Memory stays bounded: a chunk, a partial line of at most the row limit,
and the lines of the current record. A line longer than the limit is skipped to its next newline: it is
handed out as an empty line with `rec_error` set and only a prefix of it kept as raw bytes.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

__all__ = ["CHUNK_SIZE", "MAX_ROW_BYTES", "RAW_KEPT_BYTES", "LineFeeder", "RecordTooLongError"]

logger = logging.getLogger(__name__)

#: A row (physical line, or all lines of a quoted multi-line CSV record) longer than this is a bad record.
MAX_ROW_BYTES = 10 * 1024 * 1024
#: Bytes read per system call.
CHUNK_SIZE = 1024 * 1024
#: Raw bytes kept of a row over the limit (enough to recognise it in the dead-letter topic).
RAW_KEPT_BYTES = 64 * 1024


class RecordTooLongError(Exception):
    """Control-flow signal: the current multi-line record passed the row limit (raised through csv.reader)."""


class LineFeeder:
    """Iterator of decoded physical lines of a binary file from a byte offset; see the module docstring.

    A last line without ``\\n`` is handed out only if the file had reached it when the reader opened the
    file (``snapshot_size``): bytes beyond that without a newline may be a row still being written, so they
    are left for a later read (`held_back` counts them) and `offset` stays at their start.
    """

    def __init__(
        self,
        fh: BinaryIO,
        *,
        encoding: str,
        offset: int,
        line_no: int,
        snapshot_size: int,
        max_row_bytes: int = MAX_ROW_BYTES,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        fh.seek(offset)
        self._fh = fh
        self._encoding = encoding
        self._limit = max_row_bytes
        # A line inside one chunk is then always within the limit; only lines across chunks need checks.
        self._chunk_size = max(1, min(chunk_size, max_row_bytes))
        self._snapshot_size = snapshot_size
        self._read_pos = offset
        self._lines: list[bytes] = []
        self._i = 0
        # index in _lines → (bytes in the file incl. newline, line length, over the limit?)
        self._special: dict[int, tuple[int, int, bool]] = {}
        self._tail: list[bytes] = []
        self._tail_len = 0
        self._skipping = False
        self._skip_prefix = b""
        self._skip_len = 0
        self._eof = False
        #: Set when the iterator has run out (the file's end was reached and everything handed out).
        self.exhausted = False
        #: Bytes of an incomplete last line past the open-time size, not handed out.
        self.held_back = 0
        #: Byte offset just after the last line handed out.
        self.offset = offset
        #: 1-based number of the last line handed out (0 before the first).
        self.line_no = line_no
        # State of the record being read, reset by the record reader before each record.
        self.rec_raw: list[bytes] = []
        self.rec_error: str | None = None
        self.rec_bytes = 0

    @property
    def grew(self) -> bool:
        """Whether the file has been read past the size it had when opened."""
        return self._read_pos > self._snapshot_size

    def begin_record(self) -> None:
        self.rec_raw = []
        self.rec_error = None
        self.rec_bytes = 0

    def record_raw(self) -> bytes:
        """The current record's bytes as in the file, without its final line terminator."""
        parts = self.rec_raw
        raw = parts[0] if len(parts) == 1 else b"\n".join(parts)
        return raw[:-1] if raw.endswith(b"\r") else raw

    def __iter__(self) -> LineFeeder:
        return self

    def __next__(self) -> str:
        i = self._i
        if i >= len(self._lines):
            if not self._fill():
                self.exhausted = True
                raise StopIteration
            i = 0
        line = self._lines[i]
        self._i = i + 1
        self.line_no += 1
        if self._special and i in self._special:
            return self._special_line(i, line)
        size = len(line) + 1
        self.offset += size
        self.rec_bytes += size
        if self.rec_bytes > self._limit + 1:
            raise RecordTooLongError
        self.rec_raw.append(line)
        try:
            return line.decode(self._encoding) + "\n"
        except UnicodeDecodeError as exc:
            return self._undecodable(line, exc) + "\n"

    def _undecodable(self, line: bytes, exc: UnicodeDecodeError) -> str:
        if self.rec_error is None:
            self.rec_error = (
                f"line {self.line_no}: not valid {self._encoding.upper()} "
                f"({exc.reason} at byte {exc.start} of the line: {line[exc.start : exc.end].hex(' ')})"
            )
        return line.decode(self._encoding, "replace")

    def _special_line(self, i: int, line: bytes) -> str:
        size, length, oversize = self._special.pop(i)
        self.offset += size
        if oversize:
            # Said even when an earlier problem was met: it is why the raw bytes kept are partial.
            over = (
                f"line {self.line_no}: {length} bytes, over the {self._limit}-byte row limit "
                f"(skipped to the next newline; first {len(line)} bytes kept)"
            )
            self.rec_error = over if self.rec_error is None else f"{self.rec_error}; {over}"
            self.rec_raw.append(line)
            return "\n"
        # The unterminated last line of the file.
        self.rec_bytes += size
        if self.rec_bytes > self._limit + 1:
            raise RecordTooLongError
        self.rec_raw.append(line)
        try:
            return line.decode(self._encoding)
        except UnicodeDecodeError as exc:
            return self._undecodable(line, exc)

    def _fill(self) -> bool:
        """Load the next batch of lines; False at the end of the file."""
        lines: list[bytes] = []
        special: dict[int, tuple[int, int, bool]] = {}
        while not lines:
            if self._eof:
                return False
            chunk = self._fh.read(self._chunk_size)
            if not chunk:
                self._eof = True
                self._finish(lines, special)
                break
            self._read_pos += len(chunk)
            if self._skipping:
                newline = chunk.find(b"\n")
                if newline < 0:
                    self._skip_len += len(chunk)
                    continue
                self._skip_len += newline
                special[0] = (self._skip_len + 1, self._skip_len, True)
                lines.append(self._skip_prefix)
                self._skipping = False
                self._skip_prefix = b""
                chunk = chunk[newline + 1 :]
                if not chunk:
                    continue
            parts = chunk.split(b"\n")
            if len(parts) == 1:
                self._add_to_tail(chunk)
                continue
            if self._tail:
                length = self._tail_len + len(parts[0])
                if length > self._limit:
                    special[len(lines)] = (length + 1, length, True)
                    self._tail.append(parts[0])
                    parts[0] = _prefix(self._tail)
                else:
                    self._tail.append(parts[0])
                    parts[0] = b"".join(self._tail)
                self._tail = []
                self._tail_len = 0
            last = parts.pop()
            if last:
                self._tail = [last]
                self._tail_len = len(last)
            if lines:
                lines.extend(parts)
            else:
                lines = parts
        if not lines:
            return False
        self._lines = lines
        self._i = 0
        self._special = special
        return True

    def _add_to_tail(self, data: bytes) -> None:
        self._tail.append(data)
        self._tail_len += len(data)
        if self._tail_len > self._limit:
            self._skipping = True
            self._skip_prefix = _prefix(self._tail)
            self._skip_len = self._tail_len
            self._tail = []
            self._tail_len = 0

    def _finish(self, lines: list[bytes], special: dict[int, tuple[int, int, bool]]) -> None:
        """At the end of the file: hand out a line being skipped, or the unterminated last line if whole."""
        if self._skipping:
            special[len(lines)] = (self._skip_len, self._skip_len, True)
            lines.append(self._skip_prefix)
            self._skipping = False
            self._skip_prefix = b""
        elif self._tail:
            tail = b"".join(self._tail)
            self._tail = []
            self._tail_len = 0
            if self._read_pos > self._snapshot_size:
                self.held_back = len(tail)
                logger.info("leaving %d bytes of an incomplete last line for a later read", len(tail))
            else:
                special[len(lines)] = (len(tail), len(tail), False)
                lines.append(tail)


def _prefix(pieces: list[bytes]) -> bytes:
    """The first `RAW_KEPT_BYTES` of the concatenated pieces, without joining them all."""
    kept = bytearray()
    for piece in pieces:
        kept += piece[: RAW_KEPT_BYTES - len(kept)]
        if len(kept) >= RAW_KEPT_BYTES:
            break
    return bytes(kept)
