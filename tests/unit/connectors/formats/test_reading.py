"""Reading mechanics common to all formats: file naming, offsets and resuming, size limit, files that change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors.formats import (
    DIALECTS,
    MAX_ROW_BYTES,
    ParsedRow,
    ResumeOffsetError,
    UnknownSourceError,
    detect_source,
    parse_row,
    read_file,
)
from connectors.formats.lines import RAW_KEPT_BYTES
from hub.contract.errors import BadRecordError
from hub.contract.sources import SOURCES, Source
from tests.unit.connectors.formats.support import GOOD_ROWS, csv_bytes, file_bytes, read_all, write

KEYS: dict[Source, str] = {source: DIALECTS[source].required[0] for source in SOURCES}


def _rows_with_keys(source: Source, keys: list[str]) -> list[dict[str, object]]:
    return [{**GOOD_ROWS[source], KEYS[source]: key} for key in keys]


def _comparable(rows: list[ParsedRow]) -> list[tuple[object, ...]]:
    return [(r.line, r.offset, r.next_offset, r.raw, r.key, r.record, str(r.error)) for r in rows]


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("civil_affairs.csv", "civil_affairs"),
        ("civil_affairs_2024-05-01_part2.csv", "civil_affairs"),
        ("Health_20240501.CSV", "health"),
        ("hrss-export.csv", "hrss"),
        ("tax_daily.jsonl", "tax"),
        ("commerce.csv", "commerce"),
    ],
)
def test_detect_source(name: str, source: Source) -> None:
    assert detect_source(Path("/data/in") / name) == source


@pytest.mark.parametrize("name", ["tax.csv", "health.jsonl", "people.csv", "civil.csv", "commerce.csv.gz"])
def test_detect_source_rejects_unknown_names(name: str) -> None:
    with pytest.raises(UnknownSourceError, match=r"civil_affairs\*\.csv"):
        detect_source(name)


def test_explicit_source_overrides_the_name(tmp_path: Path) -> None:
    path = write(tmp_path, "health", csv_bytes("health", [GOOD_ROWS["health"]]), "export.csv")
    with pytest.raises(UnknownSourceError):
        read_file(path)
    assert [row.source for row in read_file(path, "health")] == ["health"]


def test_parse_row_rejects_unknown_source() -> None:
    with pytest.raises(UnknownSourceError):
        parse_row("police", {})  # type: ignore[arg-type]


@pytest.mark.parametrize("source", SOURCES)
def test_empty_file_and_header_only_give_no_rows(tmp_path: Path, source: Source) -> None:
    assert read_all(write(tmp_path, source, b"")) == []
    if source != "tax":
        header = csv_bytes(source, [])
        assert read_all(write(tmp_path, source, header)) == []
        assert read_all(write(tmp_path, source, header.rstrip(b"\r\n"))) == []


@pytest.mark.parametrize("source", SOURCES)
def test_offsets_resume_exactly(tmp_path: Path, source: Source) -> None:
    data = file_bytes(source, _rows_with_keys(source, ["K1", "K2", "K3", "K4"]))
    data = data.replace(b"K2", b"").replace(b"\nK3", b"\n\r\nK3")  # a bad row and a blank line
    path = write(tmp_path, source, data)
    rows = read_all(path)
    assert [row.error is None for row in rows] == [True, False, True, True]
    for row in rows:
        assert row.raw == data[row.offset : row.next_offset].rstrip(b"\n").removesuffix(b"\r")
    for k, row in enumerate(rows):
        assert _comparable(read_all(path, start_offset=row.offset)) == _comparable(rows[k:])
        assert _comparable(read_all(path, start_offset=row.next_offset)) == _comparable(rows[k + 1 :])
    assert read_all(path, start_offset=len(data)) == []


def test_resume_offset_must_be_a_row_start(tmp_path: Path) -> None:
    data = csv_bytes("health", [GOOD_ROWS["health"]])
    path = write(tmp_path, "health", data)
    with pytest.raises(ResumeOffsetError, match="not the start of a row"):
        read_all(path, start_offset=len(data) - 5)
    with pytest.raises(ResumeOffsetError, match="past the end"):
        read_all(path, start_offset=len(data) + 1)
    with pytest.raises(ResumeOffsetError, match="negative"):
        read_file(path, start_offset=-1)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 64, 1000])
@pytest.mark.parametrize("source", SOURCES)
def test_chunk_boundaries_do_not_change_rows(tmp_path: Path, source: Source, chunk_size: int) -> None:
    rows = _rows_with_keys(source, ["K1", "K2", "K3"])
    if source != "tax":
        rows[1] = {**rows[1], DIALECTS[source].columns[-2]: 'multi\r\nline, "quoted"'}
    path = write(tmp_path, source, file_bytes(source, rows))  # civil affairs: with its BOM
    expected = _comparable(read_all(path))
    assert len(expected) == 3
    assert _comparable(read_all(path, chunk_size=chunk_size)) == expected


def test_a_line_over_the_limit_is_skipped_to_the_next_newline(tmp_path: Path) -> None:
    good = csv_bytes("health", _rows_with_keys("health", ["K1"]))
    header, row = good.split(b"\r\n", 1)
    huge = b"K2," + b"x" * (MAX_ROW_BYTES + 10) + b"\r\n"
    data = header + b"\r\n" + huge + row + huge.rstrip(b"\r\n")  # the last one ends the file
    path = write(tmp_path, "health", data)
    rows = read_all(path)
    assert [row.line for row in rows] == [2, 3, 4]
    assert [row.error is None for row in rows] == [False, True, False]
    reason = str(rows[0].error)
    assert reason.startswith(f"line 2: {len(huge) - 1} bytes, over the {MAX_ROW_BYTES}-byte row limit")
    assert rows[0].raw == huge[:RAW_KEPT_BYTES]
    assert rows[0].next_offset == rows[1].offset == len(header) + 2 + len(huge)
    assert rows[2].next_offset == len(data)
    assert _comparable(read_all(path, start_offset=rows[1].offset)) == _comparable(rows[1:])


@pytest.mark.parametrize("chunk_size", [7, 64, 4096])
def test_row_limit_with_small_limits(tmp_path: Path, chunk_size: int) -> None:
    data = b"\n".join(
        [
            b'{"nsrbh": "A", "xm": "x", "gxsj": 1}',
            b'{"nsrbh": "B", "xm": "' + b"y" * 300 + b'", "gxsj": 1}',
            b'{"nsrbh": "C", "xm": "x", "gxsj": 1}',
            b"z" * 250,
        ]
    )
    rows = read_all(write(tmp_path, "tax", data), max_row_bytes=200, chunk_size=chunk_size)
    assert [row.key for row in rows] == ["A", None, "C", None]
    assert [row.error is None for row in rows] == [True, False, True, False]
    assert "over the 200-byte row limit" in str(rows[1].error)
    assert rows[-1].next_offset == len(data)


@pytest.mark.parametrize("chunk_size", [1, 7, 64])
def test_record_over_the_limit_says_so_after_an_earlier_problem(tmp_path: Path, chunk_size: int) -> None:
    # An open quote and an undecodable byte, then a line over the limit inside the same record: the
    # reason names the first problem and also the limit, which is why only part of the row is kept.
    data = csv_bytes("civil_affairs", []) + b'"\x80\n' + b"y" * 250
    rows = read_all(write(tmp_path, "civil_affairs", data), max_row_bytes=200, chunk_size=chunk_size)
    reason = str(rows[-1].error)
    assert "not valid UTF-8" in reason and "over the 200-byte row limit" in reason
    assert len(rows[-1].raw) < rows[-1].next_offset - rows[-1].offset


def test_multiline_record_over_the_limit(tmp_path: Path) -> None:
    good = _rows_with_keys("civil_affairs", ["K1", "K3"])
    long_field = "\r\n".join(["line"] * 100)
    data = csv_bytes("civil_affairs", [good[0], {**good[0], "记录编号": "K2", "居住地址": long_field}, good[1]])
    rows = read_all(write(tmp_path, "civil_affairs", data), max_row_bytes=300)
    assert rows[0].key == "K1" and rows[0].error is None
    assert "past the 300-byte row limit" in str(rows[1].error)
    assert rows[-1].key == "K3" and rows[-1].error is None
    assert all(isinstance(row.result, BadRecordError) for row in rows[1:-1])


@pytest.mark.parametrize("source", SOURCES)
def test_grown_file_reads_only_complete_appended_lines(tmp_path: Path, source: Source) -> None:
    first, second, third = (file_bytes(source, _rows_with_keys(source, [k])) for k in ("K1", "K2", "K3"))
    if source != "tax":  # keep the header once
        second, third = second.split(b"\r\n", 1)[1], third.split(b"\r\n", 1)[1]
    path = write(tmp_path, source, first)
    rows = read_file(path, chunk_size=16)
    seen = [next(rows)]
    with path.open("ab") as out:
        out.write(second + third[:-10])  # a complete row, then a partial one still being written
    seen.extend(rows)
    assert [row.key for row in seen] == ["K1", "K2"]
    assert all(row.error is None for row in seen)
    with path.open("ab") as out:
        out.write(third[-10:])
    resumed = read_all(path, start_offset=seen[-1].next_offset)
    assert [(row.key, row.error) for row in resumed] == [("K3", None)]


def test_open_quote_at_the_end_of_a_grown_file_waits(tmp_path: Path) -> None:
    data = csv_bytes("civil_affairs", _rows_with_keys("civil_affairs", ["K1", "K2"]))
    cut = data.index(b"K2")
    path = write(tmp_path, "civil_affairs", data[:cut])
    rows = read_file(path, chunk_size=16)
    seen = [next(rows)]
    with path.open("ab") as out:
        out.write(data[cut : data.index(b'"', cut) + 8] + b"\r\n")  # opens a quote, ends with a newline
    seen.extend(rows)
    assert [row.key for row in seen] == ["K1"]


def test_file_deleted_while_read_is_read_to_its_end(tmp_path: Path) -> None:
    path = write(tmp_path, "tax", file_bytes("tax", _rows_with_keys("tax", [f"K{i}" for i in range(50)])))
    rows = read_file(path, chunk_size=64)
    first = next(rows)
    os.unlink(path)
    assert [first.key, *(row.key for row in rows)] == [f"K{i}" for i in range(50)]


def test_file_truncated_while_read_ends_early_without_raising(tmp_path: Path) -> None:
    data = csv_bytes("health", _rows_with_keys("health", [f"K{i}" for i in range(200)]))
    path = write(tmp_path, "health", data)
    rows = read_file(path, chunk_size=64)
    first = next(rows)
    os.truncate(path, len(data) // 2)
    rest = list(rows)
    assert first.key == "K0"
    assert 0 < len(rest) < 199
    assert all(isinstance(row, ParsedRow) for row in rest)


def test_whitespace_only_lines_are_not_rows(tmp_path: Path) -> None:
    data = csv_bytes("commerce", _rows_with_keys("commerce", ["K1"])) + b" \t\r\n\r\n\n"
    data += csv_bytes("commerce", _rows_with_keys("commerce", ["K2"])).split(b"\r\n", 1)[1]
    rows = read_all(write(tmp_path, "commerce", data))
    assert [(row.key, row.line) for row in rows] == [("K1", 2), ("K2", 6)]


def test_a_field_over_the_csv_field_limit_makes_its_row_bad(tmp_path: Path) -> None:
    rows = _rows_with_keys("health", ["K1", "K2", "K3"])
    rows[1] = {**rows[1], "现住址": "长" * 200_000}
    parsed = read_all(write(tmp_path, "health", csv_bytes("health", rows)))
    assert [(row.key, row.error is None) for row in parsed] == [("K1", True), ("K2", False), ("K3", True)]
    assert "field larger than field limit" in str(parsed[1].error)


@pytest.mark.parametrize("source", SOURCES)
def test_records_of_one_file_share_one_fields_set_and_stay_copyable(tmp_path: Path, source: Source) -> None:
    rows = read_all(write(tmp_path, source, file_bytes(source, _rows_with_keys(source, ["K1", "K2", "K3"]))))
    first, second, third = (row.record for row in rows)
    assert first is not None and second is not None and third is not None
    assert second.__pydantic_fields_set__ is third.__pydantic_fields_set__
    assert second.model_fields_set == first.model_fields_set
    copied = second.model_copy(update={"record_id": "K9"})
    assert copied.record_id == "K9" and third.record_id == "K3"
    assert "record_id" in third.model_fields_set and third.model_dump(exclude_unset=True)["record_id"] == "K3"
