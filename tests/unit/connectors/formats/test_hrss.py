"""HRSS (人社) export: GBK decoded per row, insurance kinds inside quotes, YYYY/MM/DD HH:MM update time."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.formats import parse_row
from hub.contract.errors import BadRecordError
from hub.contract.records import Gender, HrssRecord, InsuranceStatus
from hub.contract.timezone import CST
from tests.unit.connectors.formats.support import (
    GOOD_ROWS,
    assert_bad_column,
    csv_bytes,
    keys_of_rows_with_wrong_column_count,
    read_all,
    read_one_csv,
    write,
)

GOOD = GOOD_ROWS["hrss"]

EXPECTED = HrssRecord(
    record_id="RS00789",
    updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST),
    name="丂乗·昞皘",
    id_number="330106198503121234",
    gender=Gender.FEMALE,
    birth_date=date(1985, 3, 12),
    insurance_status=InsuranceStatus.CONTRIBUTING,
    insurance_kinds=["养老", "医疗", "失业"],
    employer_name="杭州某某科技有限公司",
    employer_credit_code="91330106MA2AXXXX0X",
    address="杭州市西湖区文三路90号",
    phone="0571-88886666",
    social_security_card="A12345678",
)


def _read_one(tmp_path: Path, **changes: str) -> HrssRecord | BadRecordError:
    result = read_one_csv(tmp_path, "hrss", {**GOOD, **changes})
    assert isinstance(result, HrssRecord | BadRecordError)
    return result


def test_good_gbk_row_gives_exact_record(tmp_path: Path) -> None:
    data = csv_bytes("hrss", [GOOD])
    assert '"养老,医疗,失业"'.encode("gbk") in data
    assert "丂乗·昞皘".encode("gbk") in data  # trail bytes 0x40, 0x5C, 0x7C survive byte-level splitting
    assert _read_one(tmp_path) == EXPECTED


def test_one_bad_byte_sequence_loses_only_its_row(tmp_path: Path) -> None:
    good = csv_bytes("hrss", [GOOD, {**GOOD, "个人编号": "RS2"}, {**GOOD, "个人编号": "RS3"}])
    lines = good.split(b"\r\n")
    # A lead byte followed by a quote: invalid GBK, and the quote must still count for the CSV structure.
    lines[2] = lines[2].replace(b',"', b',\x81"', 1)
    rows = read_all(write(tmp_path, "hrss", b"\r\n".join(lines)))
    assert [row.key for row in rows] == ["RS00789", "RS2", "RS3"]
    assert [row.error is None for row in rows] == [True, False, True]
    reason = str(rows[1].error)
    assert reason.startswith("line 3: not valid GBK (illegal multibyte sequence at byte")
    assert rows[1].raw == lines[2]


def test_utf8_bytes_in_a_gbk_file_are_rejected(tmp_path: Path) -> None:
    header = csv_bytes("hrss", [])
    row = ",".join(["RS1", "张三", "", "男", "", "", "", "", "", "", "", "", "2024/05/01 09:30"]).encode("utf-8")
    rows = read_all(write(tmp_path, "hrss", header + row + b"\xff\r\n"))
    assert len(rows) == 1
    assert rows[0].error is not None


@pytest.mark.parametrize(("kinds", "expected"), [("养老", ["养老"]), ("", []), (" 养老 ,, 工伤 ", ["养老", "工伤"])])
def test_insurance_kinds(tmp_path: Path, kinds: str, expected: list[str]) -> None:
    result = _read_one(tmp_path, 参保险种=kinds)
    assert isinstance(result, HrssRecord)
    assert result.insurance_kinds == expected


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"个人编号": ""}, "个人编号", "required value missing"),
        ({"姓名": ""}, "姓名", "required value missing"),
        ({"变更时间": ""}, "变更时间", "required value missing"),
        ({"变更时间": "2024/5/1 9:30"}, "变更时间", "expected YYYY/MM/DD HH:MM"),
        ({"变更时间": "2024-05-01 09:30"}, "变更时间", "unparsable date"),
        ({"变更时间": "2024/05/01 09:30:00"}, "变更时间", "unparsable date"),
        ({"变更时间": "2024/02/30 09:30"}, "变更时间", "unparsable date"),
        ({"出生日期": "1985/03/12"}, "出生日期", "unparsable date"),
        ({"性别": "M"}, "性别", "invalid code"),
        ({"参保状态": "正常"}, "参保状态", "invalid code '正常'"),
    ],
)
def test_bad_values(tmp_path: Path, changes: dict[str, str], column: str, fragment: str) -> None:
    result = _read_one(tmp_path, **changes)
    assert_bad_column(result, column, fragment)


def test_parse_row_maps_a_json_push() -> None:
    assert parse_row("hrss", GOOD) == EXPECTED


def test_rows_with_wrong_column_count_name_their_key(tmp_path: Path) -> None:
    key, keys = keys_of_rows_with_wrong_column_count(tmp_path, "hrss")
    assert keys == [key] * 6
