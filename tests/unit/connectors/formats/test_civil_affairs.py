"""Civil affairs (民政) export: BOM, RFC 4180 quoting, header mapping, every kind of bad row."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.formats import parse_row
from hub.contract.errors import BadRecordError
from hub.contract.records import AssistanceType, CivilAffairsRecord, Gender, MaritalStatus
from hub.contract.timezone import CST
from tests.unit.connectors.formats.support import (
    GOOD_ROWS,
    assert_bad_column,
    csv_bytes,
    header_of,
    keys_of_rows_with_wrong_column_count,
    read_all,
    write,
)

GOOD = GOOD_ROWS["civil_affairs"]

EXPECTED = CivilAffairsRecord(
    record_id="MZ000123",
    updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST),
    name="阿卜杜·热合曼",
    gender=Gender.MALE,
    id_number="330106198503121234",
    birth_date=date(1985, 3, 12),
    ethnicity="维吾尔族",
    marital_status=MaritalStatus.MARRIED,
    hukou_address="浙江省杭州市西湖区文三路90号",
    residence_address="文三路90号东部软件园1号楼, 3单元 501室",
    phone="+86 139-1234-5678",
    street="西湖街道",
    community="文三社区",
    assistance_type=AssistanceType.MINIMUM_LIVING,
    elderly_care=True,
    death_date=None,
)


def _row(**changes: str) -> dict[str, object]:
    return {**GOOD, **changes}


def _single(tmp_path: Path, row: Mapping[str, object]) -> CivilAffairsRecord | BadRecordError:
    rows = read_all(write(tmp_path, "civil_affairs", csv_bytes("civil_affairs", [row])))
    assert len(rows) == 1
    result = rows[0].result
    assert isinstance(result, CivilAffairsRecord | BadRecordError)
    return result


def test_good_row_gives_exact_record(tmp_path: Path) -> None:
    rows = read_all(write(tmp_path, "civil_affairs", csv_bytes("civil_affairs", [GOOD])))
    assert [row.result for row in rows] == [EXPECTED]
    assert rows[0].source == "civil_affairs"
    assert rows[0].line == 2
    assert rows[0].key == "MZ000123"
    assert isinstance(rows[0].record, CivilAffairsRecord)
    assert rows[0].record.updated_at.utcoffset() == CST.utcoffset(None)


def test_bom_is_optional(tmp_path: Path) -> None:
    with_bom = csv_bytes("civil_affairs", [GOOD])
    assert with_bom.startswith(b"\xef\xbb\xbf")
    without = csv_bytes("civil_affairs", [GOOD], encoding="utf-8")
    a = read_all(write(tmp_path, "civil_affairs", with_bom, "civil_affairs_a.csv"))
    b = read_all(write(tmp_path, "civil_affairs", without, "civil_affairs_b.csv"))
    assert [r.result for r in a] == [r.result for r in b] == [EXPECTED]
    assert a[0].offset == b[0].offset + 3


def test_blank_values_are_none_and_spaces_stripped(tmp_path: Path) -> None:
    row = {column: "" for column in header_of("civil_affairs")}
    row.update({"记录编号": "  MZ1 ", "姓名": "\u3000陈 晓明 ", "更新时间": " 2024-05-01 09:30:00", "民族": "   "})
    result = _single(tmp_path, row)
    assert result == CivilAffairsRecord(
        record_id="MZ1", name="陈 晓明", updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST)
    )


def test_rfc4180_quoting(tmp_path: Path) -> None:
    tricky = 'Room "A", 3单元\r\n2楼,\n"东"侧'
    data = csv_bytes("civil_affairs", [_row(居住地址=tricky), _row(记录编号="MZ2")])
    rows = read_all(write(tmp_path, "civil_affairs", data))
    assert [r.error for r in rows] == [None, None]
    assert isinstance(rows[0].record, CivilAffairsRecord) and rows[1].record is not None
    assert rows[0].record.residence_address == tricky.strip()
    assert rows[1].record.record_id == "MZ2"
    # The embedded newlines are physical lines: the second row starts on line 2 + 3.
    assert rows[1].line == 5
    assert rows[0].raw == data[rows[0].offset : rows[0].next_offset - 2]
    assert b'"Room ""A"", 3' in rows[0].raw


def test_lf_only_and_unterminated_last_line(tmp_path: Path) -> None:
    data = csv_bytes("civil_affairs", [GOOD, _row(记录编号="MZ2")], terminator="\n").rstrip(b"\n")
    rows = read_all(write(tmp_path, "civil_affairs", data))
    assert [r.key for r in rows if r.error is None] == ["MZ000123", "MZ2"]
    assert rows[-1].next_offset == len(data)


def test_columns_in_any_order_and_optional_columns_absent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    header = ["更新时间", "姓名", "备注", "记录编号", "性别"]
    data = csv_bytes("civil_affairs", [["2024-05-01 09:30:00", "陈晓明", "x", "MZ9", "女"]], header=header)
    with caplog.at_level(logging.WARNING):
        rows = read_all(write(tmp_path, "civil_affairs", data))
    assert [r.result for r in rows] == [
        CivilAffairsRecord(
            record_id="MZ9", name="陈晓明", gender=Gender.FEMALE, updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST)
        )
    ]
    assert "备注" in caplog.text
    assert "民族" in caplog.text


def test_header_without_required_column_makes_every_row_bad(tmp_path: Path) -> None:
    header = [c for c in header_of("civil_affairs") if c != "记录编号"]
    data = csv_bytes("civil_affairs", [GOOD, GOOD], header=header)
    rows = read_all(write(tmp_path, "civil_affairs", data))
    assert len(rows) == 3
    assert all(row.error is not None for row in rows)
    assert rows[0].line == 1
    assert "lacks required column(s) 记录编号" in str(rows[0].error)
    assert str(rows[1].error).startswith("line 2: unusable header (line 1: header lacks required column(s) 记录编号")


def test_header_with_repeated_column_is_unusable(tmp_path: Path) -> None:
    header = [*header_of("civil_affairs"), "姓名"]
    rows = read_all(write(tmp_path, "civil_affairs", csv_bytes("civil_affairs", [], header=header)))
    assert len(rows) == 1
    assert "姓名 more than once" in str(rows[0].error)


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"记录编号": " "}, "记录编号", "required value missing"),
        ({"姓名": ""}, "姓名", "required value missing"),
        ({"更新时间": ""}, "更新时间", "required value missing"),
        ({"更新时间": "2024-05-01T09:30:00"}, "更新时间", "unparsable date"),
        ({"更新时间": "2024-02-30 09:30:00"}, "更新时间", "unparsable date"),
        ({"出生日期": "1985/03/12"}, "出生日期", "unparsable date"),
        ({"出生日期": "１９８５-03-12"}, "出生日期", "unparsable date"),
        ({"死亡日期": "2024-13-01"}, "死亡日期", "unparsable date"),
        ({"性别": "未知"}, "性别", "invalid code '未知'"),
        ({"婚姻状况": "再婚"}, "婚姻状况", "invalid code"),
        ({"救助类型": "五保"}, "救助类型", "invalid code"),
        ({"养老服务对象": "Y"}, "养老服务对象", "invalid code"),
    ],
)
def test_bad_values(tmp_path: Path, changes: dict[str, str], column: str, fragment: str) -> None:
    result = _single(tmp_path, _row(**changes))
    assert_bad_column(result, column, fragment)


def test_bad_rows_do_not_stop_the_file(tmp_path: Path) -> None:
    good = csv_bytes("civil_affairs", [GOOD])
    lines = [
        "MZ2,too,few\r\n",
        ",".join(["MZ3"] * 17) + "\r\n",  # one column too many
        'MZ4,"陈"晓明,男,,,,,,,,,,,,,2024-05-01 09:30:00\r\n',  # text after a closing quote
        "MZ5,陈\r晓明,男,,,,,,,,,,,,,2024-05-01 09:30:00\r\n",  # bare CR in an unquoted field
    ]
    bad_utf8 = "MZ6,陈晓明,男,,,,,,,,,,,,,2024-05-01 09:30:00\r\n".encode().replace("晓".encode(), b"\xe6\x99")
    data = good + "".join(lines).encode() + bad_utf8 + good.split(b"\r\n", 1)[1].replace(b"MZ000123", b"MZ7")
    rows = read_all(write(tmp_path, "civil_affairs", data))
    assert [row.key for row in rows] == ["MZ000123", "MZ2", "MZ3", "MZ4", "MZ5", "MZ6", "MZ7"]
    assert [row.error is None for row in rows] == [True, False, False, False, False, False, True]
    reasons = [str(row.error) for row in rows[1:6]]
    assert reasons[0] == "line 3: 3 columns where the header has 16"
    assert reasons[1] == "line 4: 17 columns where the header has 16"
    assert reasons[2].startswith("line 5: malformed CSV")
    assert reasons[3].startswith("line 6: malformed CSV")
    assert reasons[4].startswith("line 7: not valid UTF-8")


def test_unterminated_quote_at_end_of_file(tmp_path: Path) -> None:
    data = csv_bytes("civil_affairs", [GOOD]) + b'MZ2,"never closed\r\nmore\r\n'
    rows = read_all(write(tmp_path, "civil_affairs", data))
    assert rows[0].error is None
    assert len(rows) == 2
    assert "unexpected end of data" in str(rows[1].error)
    assert rows[1].next_offset == len(data)


def test_parse_row_maps_a_json_push() -> None:
    assert parse_row("civil_affairs", GOOD) == EXPECTED
    assert parse_row("civil_affairs", {**GOOD, "民族": None, "other": 1}) == EXPECTED.model_copy(
        update={"ethnicity": None}
    )
    with pytest.raises(BadRecordError, match="column 出生日期: expected text, got int"):
        parse_row("civil_affairs", {**GOOD, "出生日期": 19850312})


def test_rows_with_wrong_column_count_name_their_key(tmp_path: Path) -> None:
    key, keys = keys_of_rows_with_wrong_column_count(tmp_path, "civil_affairs")
    assert keys == [key] * 6
