"""税务 tax export (``tax*.jsonl``): UTF-8 JSON Lines with pinyin-initial keys, epoch-millisecond update time.

JSON values are type-checked as the tax system documents them: text keys take a string or null, ``nd`` an
integer, ``nsje`` a decimal *string*, ``gxsj`` an integer. ``zjlx`` is a code and is accepted as the string
``"201"`` or the number ``201`` (exporters differ on quoting codes; the code list is what matters).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from hub.contract.errors import BadRecordError
from hub.contract.records import DocumentType, TaxRecord
from hub.contract.timezone import CST

from .dialect import Dialect
from .values import describe, validator_for

__all__ = ["DIALECT", "parse_row"]

logger = logging.getLogger(__name__)

COLUMNS = ("nsrbh", "xm", "zjlx", "zjhm", "lxdh", "jzdz", "rzdw", "rzdw_shxydm", "nd", "nsje", "gxsj")
REQUIRED = ("nsrbh", "xm", "gxsj")

DOCUMENT_TYPES: Final = {
    "201": DocumentType.RESIDENT_ID,
    "208": DocumentType.PASSPORT,
    "213": DocumentType.HK_MACAU_TAIWAN_PERMIT,
}
_DECIMAL: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_YEAR: Final = 9999
_validate: Final = validator_for(TaxRecord)


def _wrong_type(key: str, expected: str, value: object) -> BadRecordError:
    kind = "boolean" if isinstance(value, bool) else type(value).__name__
    return BadRecordError(f"key {key}: expected {expected}, got {kind} {describe(value)}", field=key)


def _text(obj: Mapping[str, object], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong_type(key, "a string", value)
    return value.strip() or None


def _missing(key: str) -> BadRecordError:
    return BadRecordError(f"key {key}: required value missing", field=key)


def _required_text(obj: Mapping[str, object], key: str) -> str:
    value = _text(obj, key)
    if value is None:
        raise _missing(key)
    return value


def _integer(obj: Mapping[str, object], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is not int:  # bool is an int subclass but not a number here
        raise _wrong_type(key, "an integer", value)
    return value


def _document_type(obj: Mapping[str, object]) -> DocumentType | None:
    value = obj.get("zjlx")
    if value is None:
        return None
    if type(value) is int:
        code = str(value)
    elif isinstance(value, str):
        code = value.strip()
        if not code:
            return None
    else:
        raise _wrong_type("zjlx", "a code string or integer", value)
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        raise BadRecordError(
            f"key zjlx: invalid code {describe(value)} (expected one of {', '.join(DOCUMENT_TYPES)})",
            field="zjlx",
        ) from None


def _tax_year(obj: Mapping[str, object]) -> int | None:
    year = _integer(obj, "nd")
    if year is not None and not 1 <= year <= _MAX_YEAR:
        raise BadRecordError(f"key nd: tax year {year} out of range 1..{_MAX_YEAR}", field="nd")
    return year


def _tax_paid(obj: Mapping[str, object]) -> Decimal | None:
    value = _text(obj, "nsje")
    if value is None:
        return None
    if not _DECIMAL.fullmatch(value):
        raise BadRecordError(f"key nsje: not a decimal amount {describe(value)}", field="nsje")
    return Decimal(value)


def _updated_at(obj: Mapping[str, object]) -> datetime:
    millis = _integer(obj, "gxsj")
    if millis is None:
        raise _missing("gxsj")
    try:
        return (_EPOCH + timedelta(milliseconds=millis)).astimezone(CST)
    except OverflowError:
        raise BadRecordError(f"key gxsj: epoch milliseconds {millis} out of range", field="gxsj") from None


def parse_row(obj: Mapping[str, object]) -> TaxRecord:
    """Map one decoded JSON object (key → JSON value) to the typed record, checking each value's JSON type."""
    record_id = _required_text(obj, "nsrbh")
    name = _required_text(obj, "xm")
    updated_at = _updated_at(obj)
    return _validate(
        {
            "record_id": record_id,
            "name": name,
            "updated_at": updated_at,
            "document_type": _document_type(obj),
            "document_number": _text(obj, "zjhm"),
            "phone": _text(obj, "lxdh"),
            "address": _text(obj, "jzdz"),
            "employer_name": _text(obj, "rzdw"),
            "employer_credit_code": _text(obj, "rzdw_shxydm"),
            "tax_year": _tax_year(obj),
            "tax_paid": _tax_paid(obj),
        }
    )


DIALECT: Final[Dialect] = Dialect(
    source="tax",
    prefix="tax",
    suffix=".jsonl",
    encoding="utf-8",
    columns=COLUMNS,
    required=REQUIRED,
    build=parse_row,
    parse_row=parse_row,
)
