"""Rows of the CSV departments: RFC 4180 records over decoded lines, mapped by header name.

``csv.reader`` (strict) runs over a `LineFeeder`, so the csv module alone decides where a record ends
(quoted fields may hold commas, quotes and newlines) while the feeder accounts bytes and lines. A csv error
discards only the rest of its line; reading goes on with the next line. A single field longer than the csv
module's field size limit (131,072 characters by default; no real value comes near) makes its row bad.

Header rules: the first record is the header; columns may come in any order and are mapped by name
(stripped). A header without a required column, or with a known column twice, makes the file unusable:
the header itself and every row are bad records with that reason, so nothing is dropped silently.
Unknown columns are ignored and optional columns the header lacks read as blank; both are logged once
per file, since they mean the department changed its export. Empty and whitespace-only lines are not rows.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from typing import Final

from hub.contract.errors import BadRecordError

from .dialects import invalid_record
from .lines import RAW_KEPT_BYTES, LineFeeder, RecordTooLongError
from .rows import ParsedRow
from .scan import FileScan

__all__ = ["bad_row_key", "csv_rows"]

logger = logging.getLogger(__name__)


class _Record:
    """One CSV record and its place (a compiled class: one per row, and a named tuple's `__new__`
    is interpreted code)."""

    def __init__(self, line: int, offset: int, next_offset: int, raw: bytes, fields: list[str],
                 error: str | None) -> None:
        self.line = line
        self.offset = offset
        self.next_offset = next_offset
        self.raw = raw
        self.fields = fields
        self.error = error


#: What `ParsedRow(...)` runs, without the interpreted `__new__` a named tuple class has (once a row).
_TUPLE_NEW: Final = tuple.__new__


def csv_rows(scan: FileScan, start_offset: int) -> Iterator[ParsedRow]:
    """Parsed rows of a CSV file, from the row starting at `start_offset` (0: the first after the header)."""
    dialect = scan.dialect
    source, path = dialect.source, scan.path
    records = _records(scan, scan.feeder_at(0))
    header = next(records, None)
    if header is None:
        return
    names, problem = _read_header(scan, header)
    if problem is not None and start_offset <= header.offset:
        bad_header = BadRecordError(problem)
        yield ParsedRow(source, path, header.line, header.offset, header.next_offset, header.raw, None, bad_header)
    if start_offset > header.next_offset:
        records = _records(scan, scan.feeder_at(start_offset))

    build = dialect.build
    width = len(names)
    empty_row = dict.fromkeys(names, "")  # copied per row: sized once, its keys' hashes already known
    key_column = dialect.required[0]
    key_index = names.index(key_column) if key_column in names else width
    for found in records:
        line, fields, error = found.line, found.fields, found.error
        field: str | None = None
        if error is None:
            if problem is not None:
                error = f"line {line}: unusable header ({problem})"
            elif len(fields) != width:
                error = f"line {line}: {len(fields)} columns where the header has {width}"
            else:
                row = empty_row.copy()
                for i in range(width):
                    row[names[i]] = fields[i].strip()
                try:
                    record = build(row)
                except BadRecordError as exc:
                    error, field = f"line {line}: {exc.reason}", exc.field
                except (ValueError, ArithmeticError) as exc:
                    error = f"line {line}: {invalid_record(source, exc).reason}"
                else:
                    good: ParsedRow = _TUPLE_NEW(ParsedRow, (source, path, line, found.offset, found.next_offset,
                                                             found.raw, record.record_id, record))
                    yield good
                    continue
        key = bad_row_key(fields, key_index, width)
        bad = BadRecordError(error, field=field)
        yield ParsedRow(source, path, line, found.offset, found.next_offset, found.raw, key, bad)


#: A date or date-time as the departments write them (2024-05-01, 2024/05/01 09:30, 2024-05-01T09:30...).
_DATE_LIKE: Final = re.compile(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}(?:[T ].*)?$")


def bad_row_key(fields: list[str], key_index: int, width: int) -> str | None:
    """The record key a bad row still shows, or None.

    With as many fields as the header has columns, the key column's value. With more or fewer, the fields
    before the place where a comma was typed inside a value (or one went missing) are where the header
    says, those after it shifted: the key is the key column counted from the left or, counted from the
    right, the column as far from the row's end as the header puts it. Of the two readings, one that looks
    like a key (no spaces, no Chinese characters, no undecodable bytes, not a date) is taken, the left one when both do
    (the key is the first column of every department's export, so nothing can shift it)."""
    count = len(fields)
    if key_index >= width:  # the header has no key column
        return None
    left = fields[key_index].strip() if key_index < count else ""
    if count == width:
        return left or None
    right_index = key_index + count - width
    right = fields[right_index].strip() if 0 <= right_index < count else ""
    if _looks_like_key(left):
        return left
    if _looks_like_key(right):
        return right
    return left or None


def _looks_like_key(value: str) -> bool:
    """Whether a value could be a record key: printable ASCII without spaces (department keys are codes),
    and not a date or time (the required update time is the ASCII value every row has)."""
    return (bool(value) and value.isascii() and value.isprintable() and " " not in value
            and _DATE_LIKE.match(value) is None)


def _records(scan: FileScan, feeder: LineFeeder) -> Iterator[_Record]:
    """CSV records and their place; blank lines skipped; stops at an incomplete record of a growing file."""
    reader = csv.reader(feeder, strict=True)
    limit = scan.max_row_bytes
    while True:
        offset = feeder.offset
        line = feeder.line_no + 1
        feeder.begin_record()
        try:
            fields = next(reader)
            error = feeder.rec_error
        except StopIteration:
            return
        except csv.Error as exc:
            if feeder.exhausted and feeder.grew:
                # An open quote at the end of a file that grew while read: the record is still being written.
                return
            fields = _lenient_fields(feeder.record_raw(), scan.dialect.encoding)
            error = feeder.rec_error or f"line {line}: malformed CSV ({exc})"
        except RecordTooLongError:
            fields = []
            error = f"line {line}: record runs over lines {line}–{feeder.line_no}, past the {limit}-byte row limit"
        raw = feeder.record_raw()
        if error is None and len(fields) <= 1 and not raw.strip():
            continue
        if len(raw) > RAW_KEPT_BYTES and error is not None:
            raw = raw[:RAW_KEPT_BYTES]
        yield _Record(line, offset, feeder.offset, raw, fields, error)


def _lenient_fields(raw: bytes, encoding: str) -> list[str]:
    """Best-effort fields of a malformed record, only to name its key in the bad row."""
    text = raw.decode(encoding, "replace")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return text.split("\n", 1)[0].split(",")


def _read_header(scan: FileScan, header: _Record) -> tuple[list[str], str | None]:
    """Column names of the header and, if it cannot be used, why (the header row's own error reason)."""
    dialect = scan.dialect
    if header.error is not None:
        return [], header.error
    names = [name.strip() for name in header.fields]
    lacking = [column for column in dialect.required if column not in names]
    repeated = sorted({name for name in names if name in dialect.columns and names.count(name) > 1})
    problems = []
    if lacking:
        problems.append(f"lacks required column(s) {', '.join(lacking)}")
    if repeated:
        problems.append(f"has column(s) {', '.join(repeated)} more than once")
    if problems:
        return names, f"line {header.line}: header {'; '.join(problems)}"
    unknown = [name for name in names if name not in dialect.columns]
    if unknown:
        logger.warning("%s: ignoring unknown column(s) %s", scan.path, ", ".join(unknown))
    absent = [column for column in dialect.columns if column not in names]
    if absent:
        logger.warning("%s: no column(s) %s; read as blank", scan.path, ", ".join(absent))
    return names, None
