"""Property tests: whatever the bytes, the readers yield one ParsedRow per physical record and never raise.

The reference count below is a deliberately naive re-reading of the same rules (whole file in memory, no
chunks, no offsets): split on ``\\n``, decode each line (``replace``), csv.reader strict, drop blank
records; the first CSV record is the header and is a row of its own only when unusable.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.formats import DIALECTS, ParsedRow, parse_row, read_file
from hub.contract.errors import BadRecordError
from hub.contract.records import RECORD_TYPES
from hub.contract.sources import SOURCES, Source
from tests.unit.connectors.formats.support import FILE_NAMES, GOOD_ROWS, csv_bytes, header_of

CSV_SOURCES: list[Source] = ["civil_affairs", "health", "hrss", "commerce"]
BOM = b"\xef\xbb\xbf"

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b'""',
    b",",
    b" ",
    b"\t",
    b"{",
    b"}",
    b"\xe9\x99",  # truncated UTF-8
    b"\x81",  # GBK lead byte alone
    b"\x81\x40",
    b"\xff",
    b"\x00",
    BOM,
    "陈晓明".encode(),
    "养老,医疗".encode("gbk"),
    b'"nsrbh": "A", "xm": "x", "gxsj": 1',
]


def _chunks(source: Source) -> st.SearchStrategy[bytes]:
    good = csv_bytes(source, [GOOD_ROWS[source]]).split(b"\r\n")[1] if source != "tax" else b""
    tax = json.dumps(GOOD_ROWS["tax"]).encode()
    pieces = st.one_of(st.binary(max_size=20), st.sampled_from([*FRAGMENTS, good, tax, good[:17], tax[:30]]))
    return st.lists(pieces, max_size=40).map(b"".join)


def _read(source: Source, data: bytes, **kwargs: int) -> list[ParsedRow]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILE_NAMES[source]
        path.write_bytes(data)
        return list(read_file(path, **kwargs))  # type: ignore[arg-type]


class _Counting:
    """Iterator over texts that counts how many were taken (so a record's lines are known)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.taken = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.taken >= len(self.texts):
            raise StopIteration
        self.taken += 1
        return self.texts[self.taken - 1]


def reference_count(source: Source, data: bytes) -> int:
    dialect = DIALECTS[source]
    if dialect.encoding == "utf-8" and data.startswith(BOM):
        data = data[len(BOM) :]
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    decodable = []
    texts = []
    for line in lines:
        try:
            texts.append(line.decode(dialect.encoding))
            decodable.append(True)
        except UnicodeDecodeError:
            texts.append(line.decode(dialect.encoding, "replace"))
            decodable.append(False)
    if source == "tax":
        return sum(1 for text, ok in zip(texts, decodable, strict=True) if not ok or (text and not text.isspace()))
    feed = _Counting(texts)
    reader = csv.reader(feed, strict=True)
    records: list[list[str] | None] = []
    while True:
        start = feed.taken
        fields: list[str] | None
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error:
            fields = None
        ok = all(decodable[start : feed.taken])
        if fields is not None and ok and len(fields) <= 1 and not b"".join(lines[start : feed.taken]).strip():
            continue
        records.append(fields if ok else None)
    if not records:
        return 0
    header = records[0]
    usable = header is not None and all(column in [n.strip() for n in header] for column in dialect.required)
    usable = (
        usable
        and header is not None
        and all([n.strip() for n in header].count(column) <= 1 for column in dialect.columns)
    )
    return len(records) - 1 if usable else len(records)


def _check_rows(source: Source, data: bytes, rows: list[ParsedRow]) -> None:
    previous_end = 0
    for row in rows:
        assert isinstance(row.result, RECORD_TYPES[source] | BadRecordError)
        assert row.source == source
        assert previous_end <= row.offset < row.next_offset <= len(data)
        assert row.raw == data[row.offset : row.next_offset].removesuffix(b"\n").removesuffix(b"\r")
        previous_end = row.next_offset


@PROPERTY_SETTINGS
@given(data=st.data(), source=st.sampled_from(SOURCES), with_header=st.booleans())
def test_arbitrary_bytes_give_one_row_per_physical_record(
    data: st.DataObject, source: Source, with_header: bool
) -> None:
    body = data.draw(_chunks(source), label="body")
    prefix = csv_bytes(source, []) if with_header and source != "tax" else b""
    content = prefix + body
    chunk_size = data.draw(st.sampled_from([1, 3, 8, 1 << 20]), label="chunk_size")
    rows = _read(source, content, chunk_size=chunk_size)
    assert len(rows) == reference_count(source, content)
    _check_rows(source, content, rows)
    if rows:
        k = data.draw(st.integers(0, len(rows) - 1), label="resume_at")
        resumed = _read(source, content, start_offset=rows[k].offset) if rows[k].offset > len(prefix) else None
        if resumed is not None:
            assert [(r.offset, r.raw, str(r.result)) for r in resumed] == [
                (r.offset, r.raw, str(r.result)) for r in rows[k:]
            ]


def _text(source: Source) -> st.SearchStrategy[str]:
    alphabet = st.characters(codec="gbk") if source == "hrss" else st.characters(exclude_categories=["Cs"])
    return st.text(alphabet, max_size=30)


#: Free-text columns (source column → record field) whose values must come back as written, stripped.
FREE_TEXT = {
    "civil_affairs": ("居住地址", "residence_address"),
    "health": ("现住址", "address"),
    "hrss": ("通讯地址", "address"),
    "commerce": ("住所", "address"),
}


@PROPERTY_SETTINGS
@given(data=st.data(), source=st.sampled_from(CSV_SOURCES))
def test_arbitrary_rows_of_text_round_trip(data: st.DataObject, source: Source) -> None:
    width = len(header_of(source))
    free_column, free_field = FREE_TEXT[source]
    good = GOOD_ROWS[source]
    rows: list[list[str]] = []
    for kind in data.draw(st.lists(st.sampled_from(["good", "junk"]), max_size=12), label="kinds"):
        if kind == "good":
            text = data.draw(_text(source), label="text")
            rows.append([text if column == free_column else str(good[column]) for column in header_of(source)])
        else:
            rows.append(data.draw(st.lists(_text(source), min_size=2, max_size=width + 2), label="junk"))
    content = csv_bytes(source, rows)
    parsed = _read(source, content, chunk_size=data.draw(st.sampled_from([2, 7, 1 << 20]), label="chunk"))
    assert len(parsed) == len(rows)
    _check_rows(source, content, parsed)
    for row, written in zip(parsed, rows, strict=True):
        if written[0] == str(good[header_of(source)[0]]) and len(written) == width:
            record = row.record
            if all(written[i] == str(good[c]) for i, c in enumerate(header_of(source)) if c != free_column):
                assert record is not None, row.error
                assert getattr(record, free_field) == (written[header_of(source).index(free_column)].strip() or None)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@PROPERTY_SETTINGS
@given(
    objects=st.lists(
        st.dictionaries(st.sampled_from([*DIALECTS["tax"].columns, "other"]), JSON_VALUES, max_size=12), max_size=10
    ),
    text_lines=st.lists(st.text(max_size=40).filter(lambda t: "\n" not in t), max_size=5),
)
def test_arbitrary_json_lines(objects: list[dict[str, object]], text_lines: list[str]) -> None:
    lines = [json.dumps(obj, ensure_ascii=False) for obj in objects] + text_lines
    content = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass")
    rows = _read("tax", content)
    assert len(rows) == sum(1 for line in lines if line and not line.isspace())
    _check_rows("tax", content, rows)


@PROPERTY_SETTINGS
@given(
    source=st.sampled_from(SOURCES),
    fields=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6),
    good_overrides=st.booleans(),
    data=st.data(),
)
def test_parse_row_raises_only_bad_record_error(
    source: Source, fields: dict[str, object], good_overrides: bool, data: st.DataObject
) -> None:
    mapping: dict[str, object] = dict(fields)
    if good_overrides:
        mapping = {**GOOD_ROWS[source]}
        column = data.draw(st.sampled_from(DIALECTS[source].columns), label="column")
        mapping[column] = data.draw(JSON_VALUES | _text(source), label="value")
    try:
        record = parse_row(source, mapping)
    except BadRecordError as exc:
        assert exc.reason
    else:
        assert isinstance(record, RECORD_TYPES[source])
        assert isinstance(record.updated_at, datetime) and record.updated_at.tzinfo is not None
        for value in record.model_dump().values():
            assert not isinstance(value, str) or value == value.strip()
        assert all(not isinstance(v, date) or v.year >= 1 for v in record.model_dump().values())


def test_reference_count_sanity() -> None:
    data = csv_bytes("health", [GOOD_ROWS["health"]] * 3) + b"\r\n \r\n" + b"x,y\r\n"
    assert reference_count("health", data) == 4
    assert len(_read("health", data)) == 4
    assert reference_count("tax", b"{}\n\n  \n[\n") == 2
    assert len(list(csv.reader(io.StringIO("a\n")))) == 1


@PROPERTY_SETTINGS
@given(data=st.data(), source=st.sampled_from(SOURCES))
def test_small_row_limit_keeps_rows_and_offsets_consistent(data: st.DataObject, source: Source) -> None:
    prefix = csv_bytes(source, []) if source != "tax" else b""
    content = prefix + data.draw(_chunks(source), label="body")
    limit = data.draw(st.integers(len(prefix) + 1, len(prefix) + 120), label="limit")
    rows = _read(source, content, max_row_bytes=limit, chunk_size=data.draw(st.integers(1, 64), label="chunk"))
    previous_end = 0
    for row in rows:
        assert isinstance(row.result, RECORD_TYPES[source] | BadRecordError)
        assert previous_end <= row.offset < row.next_offset <= len(content)
        whole = content[row.offset : row.next_offset].removesuffix(b"\n").removesuffix(b"\r")
        if row.error is not None and "row limit" in str(row.error):
            assert len(row.raw) <= len(whole)  # only part of a row over the limit is kept
        else:
            assert row.raw == whole
            assert len(whole) <= limit
        previous_end = row.next_offset
