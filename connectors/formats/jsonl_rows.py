"""Rows of the JSON Lines department (tax): one JSON object per physical line.

Empty and whitespace-only lines are not rows. Keys outside the documented set are ignored and logged once
per file and key, since they mean the department changed its export.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import orjson

from hub.contract.errors import BadRecordError

from .dialects import invalid_record
from .lines import RecordTooLongError
from .rows import ParsedRow
from .scan import FileScan

__all__ = ["jsonl_rows"]

logger = logging.getLogger(__name__)

_JSON_KINDS: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def jsonl_rows(scan: FileScan, start_offset: int) -> Iterator[ParsedRow]:
    """Parsed rows of a JSON Lines file, from the row starting at `start_offset`."""
    dialect = scan.dialect
    source, path, parse = dialect.source, scan.path, dialect.parse_row
    known = frozenset(dialect.columns)
    key_name = dialect.required[0]
    reported: set[str] = set()
    feeder = scan.feeder_at(start_offset)
    while True:
        offset = feeder.offset
        line = feeder.line_no + 1
        feeder.begin_record()
        try:
            text = next(feeder)
            error = feeder.rec_error
        except StopIteration:
            return
        except RecordTooLongError:  # pragma: no cover - a single line is cut at the limit by the feeder
            text, error = "", f"line {line}: past the {scan.max_row_bytes}-byte row limit"
        raw = feeder.record_raw()
        field: str | None = None
        key: str | None = None
        if error is None:
            if not text or text.isspace():
                continue
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                error = f"line {line}: truncated or invalid JSON ({exc})"
            else:
                if not isinstance(obj, dict):
                    error = f"line {line}: expected a JSON object, got {_JSON_KINDS.get(type(obj), 'value')}"
                else:
                    written_key = obj.get(key_name)
                    if isinstance(written_key, str):
                        key = written_key.strip() or None
                    unknown = obj.keys() - known - reported
                    if unknown:
                        reported |= unknown
                        logger.warning("%s: ignoring unknown key(s) %s", path, ", ".join(sorted(unknown)))
                    try:
                        record = parse(obj)
                    except BadRecordError as exc:
                        error, field = f"line {line}: {exc.reason}", exc.field
                    except (ValueError, ArithmeticError) as exc:
                        error = f"line {line}: {invalid_record(source, exc).reason}"
                    else:
                        yield ParsedRow(source, path, line, offset, feeder.offset, raw, key, record)
                        continue
        bad = BadRecordError(error, field=field)
        yield ParsedRow(source, path, line, offset, feeder.offset, raw, key, bad)
