"""Tax (税务) JSON Lines export: epoch-millisecond gxsj, zjlx codes, JSON value types, broken lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.formats import parse_row
from connectors.formats.jsonl_rows import key_in_broken_line
from hub.contract.errors import BadRecordError
from hub.contract.records import DocumentType, TaxRecord
from hub.contract.timezone import CST
from tests.unit.connectors.formats.support import GOOD_ROWS, jsonl_bytes, read_all, write

GOOD = GOOD_ROWS["tax"]

EXPECTED = TaxRecord(
    record_id="SW0000000042",
    updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST),
    name="陈晓明",
    document_type=DocumentType.RESIDENT_ID,
    document_number="330106198503121234",
    phone="13912345678",
    address="文三路90号",
    employer_name="杭州某某科技有限公司",
    employer_credit_code="91330106MA2AXXXX0X",
    tax_year=2023,
    tax_paid=Decimal("12345.67"),
)


def _read_one(tmp_path: Path, **changes: object) -> TaxRecord | BadRecordError:
    rows = read_all(write(tmp_path, "tax", jsonl_bytes([{**GOOD, **changes}])))
    assert len(rows) == 1
    result = rows[0].result
    assert isinstance(result, TaxRecord | BadRecordError)
    return result


def test_good_line_gives_exact_record(tmp_path: Path) -> None:
    result = _read_one(tmp_path)
    assert result == EXPECTED
    assert isinstance(result, TaxRecord)
    assert result.updated_at.isoformat() == "2024-05-01T09:30:00+08:00"


def test_millisecond_precision_and_nulls(tmp_path: Path) -> None:
    result = _read_one(tmp_path, gxsj=1714527000123, zjlx=None, nd=None, nsje="", lxdh=None)
    assert isinstance(result, TaxRecord)
    assert result.updated_at == datetime(2024, 5, 1, 9, 30, 0, 123000, tzinfo=CST)
    assert (result.document_type, result.tax_year, result.tax_paid, result.phone) == (None, None, None, None)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("201", DocumentType.RESIDENT_ID),
        (201, DocumentType.RESIDENT_ID),
        ("208", DocumentType.PASSPORT),
        (" 213 ", DocumentType.HK_MACAU_TAIWAN_PERMIT),
        ("", None),
    ],
)
def test_document_type_codes(tmp_path: Path, code: object, kind: DocumentType | None) -> None:
    result = _read_one(tmp_path, zjlx=code)
    assert isinstance(result, TaxRecord)
    assert result.document_type == kind


@pytest.mark.parametrize("amount", ["0", "-12.5", "+3", "100000000000.01"])
def test_decimal_amounts(tmp_path: Path, amount: str) -> None:
    result = _read_one(tmp_path, nsje=amount)
    assert isinstance(result, TaxRecord)
    assert result.tax_paid == Decimal(amount)


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        ({"nsrbh": ""}, "nsrbh", "required value missing"),
        ({"nsrbh": None}, "nsrbh", "required value missing"),
        ({"xm": " "}, "xm", "required value missing"),
        ({"gxsj": None}, "gxsj", "required value missing"),
        ({"nsrbh": 42}, "nsrbh", "expected a string, got int"),
        ({"xm": ["陈"]}, "xm", "expected a string, got list"),
        ({"zjhm": 330106198503121234}, "zjhm", "expected a string, got int"),
        ({"gxsj": "1714527000000"}, "gxsj", "expected an integer, got str"),
        ({"gxsj": 1714527000000.0}, "gxsj", "expected an integer, got float"),
        ({"gxsj": True}, "gxsj", "expected an integer, got boolean"),
        ({"gxsj": 10**17}, "gxsj", "out of range"),
        ({"nd": "2023"}, "nd", "expected an integer, got str"),
        ({"nd": 2023.5}, "nd", "expected an integer"),
        ({"nd": 0}, "nd", "out of range"),
        ({"nsje": 12345.67}, "nsje", "expected a string, got float"),
        ({"nsje": "12,345.67"}, "nsje", "not a decimal amount"),
        ({"nsje": "NaN"}, "nsje", "not a decimal amount"),
        ({"nsje": "1e5"}, "nsje", "not a decimal amount"),
        ({"zjlx": "209"}, "zjlx", "invalid code '209'"),
        ({"zjlx": 201.0}, "zjlx", "expected a code string or integer"),
        ({"zjlx": False}, "zjlx", "expected a code string or integer, got boolean"),
    ],
)
def test_bad_values(tmp_path: Path, changes: dict[str, object], key: str, fragment: str) -> None:
    result = _read_one(tmp_path, **changes)
    assert isinstance(result, BadRecordError)
    assert result.field == key
    assert result.reason.startswith(f"line 1: key {key}: ")
    assert fragment in result.reason


def test_broken_lines_lose_only_themselves(tmp_path: Path) -> None:
    good = jsonl_bytes([GOOD])
    lines = [
        good[:-20] + b"\n",  # truncated
        b"[1, 2]\n",
        b"null\n",
        b"   \n",  # blank: not a row
        good.replace("陈".encode(), b"\xe9\x99"),  # invalid UTF-8
        b'{"nsrbh": "SW2", "xm": "\\ud800", "gxsj": 1}\n',  # lone surrogate
        b"\n",
        good.replace(b"SW0000000042", b"SW3").rstrip(b"\n"),  # last line, no newline
    ]
    rows = read_all(write(tmp_path, "tax", good + b"".join(lines)))
    assert [row.line for row in rows] == [1, 2, 3, 4, 6, 7, 9]
    assert [row.error is None for row in rows] == [True, False, False, False, False, False, True]
    reasons = [str(row.error) for row in rows[1:6]]
    assert reasons[0].startswith("line 2: truncated or invalid JSON")
    assert reasons[1] == "line 3: expected a JSON object, got array"
    assert reasons[2] == "line 4: expected a JSON object, got null"
    assert reasons[3].startswith("line 6: not valid UTF-8")
    assert reasons[4].startswith("line 7: truncated or invalid JSON")
    # the truncated, the undecodable and the surrogate line still show their key; arrays and null do not
    assert [row.key for row in rows] == ["SW0000000042", "SW0000000042", None, None, "SW0000000042", "SW2", "SW3"]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (b'{"nsrbh": "330106000000001", "xm": "\xe9\x99\x88\xe6', "330106000000001"),  # cut inside a value
        (b'{"nsrbh": "330106000000001"', "330106000000001"),  # cut right after the key
        (b'  { "xm" : "\xe9\x99\x88", "nsrbh":"SW9" , "gxsj": 17', "SW9"),  # key after other members
        (b'{"zjlx": 201, "lxdh": null, "nd": 2023, "nsrbh": "SW\\u0039", "x', "SW9"),
        (b'{"nsrbh": 3301060001, "xm": "', "3301060001"),  # a number, complete: a comma follows
        (b'{"nsrbh": "33010600', None),  # cut inside the key itself
        (b'{"nsrbh": 33010600', None),  # a number that may be cut short
        (b'{"xm": "\xe9\x99\x88", "addr": {"nsrbh": "SW8"}, "nsrbh": "SW9', None),  # nested: not scanned
        (b'{"xm": "say \\"nsrbh\\": \\"SW7\\"", "gx', None),  # inside a string value: not a member
        (b'{"nsrbh": "   ", "xm": "', None),  # blank
        (b'["nsrbh", "SW1"', None),
        (b'{"nsrbh": "S\xe9W1", "xm": "', None),  # an undecodable byte inside the key
    ],
)
def test_truncated_or_undecodable_line_names_the_key_it_shows(tmp_path: Path, line: bytes, key: str | None) -> None:
    rows = read_all(write(tmp_path, "tax", line + b"\n" + jsonl_bytes([GOOD])))
    assert [row.error is None for row in rows] == [False, True]
    assert rows[0].key == key
    assert rows[0].raw == line


def test_key_in_broken_line_unit() -> None:
    assert key_in_broken_line('{"nsrbh": "SW\\u0031", "x', "nsrbh") == "SW1"
    assert key_in_broken_line('{"a": true, "b": false, "c": -1.5e3, "nsrbh": "K"}', "nsrbh") == "K"
    assert key_in_broken_line('{"a": tru', "nsrbh") is None
    assert key_in_broken_line("", "nsrbh") is None


def test_unknown_keys_are_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert _read_one(tmp_path, extra={"a": 1}) == EXPECTED
    assert "extra" in caplog.text


def test_parse_row_takes_json_values() -> None:
    assert parse_row("tax", GOOD) == EXPECTED
    with pytest.raises(BadRecordError, match="key nd: expected an integer"):
        parse_row("tax", {**GOOD, "nd": "2023"})
