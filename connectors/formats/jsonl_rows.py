"""Rows of the JSON Lines department (tax): one JSON object per physical line.

Empty and whitespace-only lines are not rows. Keys outside the documented set are ignored and logged once
per file and key, since they mean the department changed its export.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Final

import orjson

from hub.contract.errors import BadRecordError

from .dialects import invalid_record
from .lines import RecordTooLongError
from .rows import ParsedRow
from .scan import FileScan

__all__ = ["jsonl_rows", "key_in_broken_line"]

logger = logging.getLogger(__name__)

_JSON_KINDS: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


#: One top-level member of a flat JSON object: a key, and a scalar value with what follows it (`,`, `}` or
#: nothing yet: a line cut short). Nested values stop the scan: department keys come before any.
_MEMBER: Final = re.compile(
    r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null)'
    r"\s*([,}]?)"
)
_OPENING: Final = re.compile(r"\s*\{")


def key_in_broken_line(text: str, key_name: str) -> str | None:
    """The record key a line that is not a readable JSON object still shows, or None.

    The line is scanned from its start as a flat object, member by member, as far as it goes: a truncated
    line ``{"nsrbh": "33010…", "xm": "陈`` still names its key, because the key's value was written whole
    (a closing quote; a number only when a ``,`` or ``}`` follows it). Only a top-level member counts, and
    a value holding an undecodable byte (shown as U+FFFD) is not a key."""
    opening = _OPENING.match(text)
    if opening is None:
        return None
    pos = opening.end()
    while True:
        member = _MEMBER.match(text, pos)
        if member is None:
            return None
        try:
            name = orjson.loads(member.group(1).join('""'))
        except orjson.JSONDecodeError:
            return None
        value = member.group(2)
        if name == key_name:
            if value.startswith('"'):
                try:
                    key = orjson.loads(value)
                except orjson.JSONDecodeError:
                    return None
            elif value[0] in "-0123456789" and member.group(3):
                key = value
            else:
                return None
            key = key.strip() if isinstance(key, str) else None
            return key if key and "\ufffd" not in key else None
        if member.group(3) != ",":
            return None
        pos = member.end()


#: What `ParsedRow(...)` runs, without the interpreted `__new__` a named tuple class has (once a row).
_TUPLE_NEW: Final = tuple.__new__


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
                        good: ParsedRow = _TUPLE_NEW(ParsedRow, (source, path, line, offset, feeder.offset, raw, key,
                                                                 record))
                        yield good
                        continue
        if key is None:
            key = key_in_broken_line(text, key_name)
        bad = BadRecordError(error, field=field)
        yield ParsedRow(source, path, line, offset, feeder.offset, raw, key, bad)
