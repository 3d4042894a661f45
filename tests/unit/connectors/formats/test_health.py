"""Health (卫健) export: GB/T 2261.1 gender codes, document-type codes, YYYYMMDD dates, ISO 8601 update time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.formats import parse_row
from hub.contract.errors import BadRecordError
from hub.contract.records import DocumentType, Gender, HealthRecord
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

GOOD = GOOD_ROWS["health"]

EXPECTED = HealthRecord(
    record_id="JK0000456",
    updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST),
    name="陈晓明",
    gender=Gender.MALE,
    document_type=DocumentType.RESIDENT_ID,
    document_number="33010619850312123x",
    birth_date=date(1985, 3, 12),
    address="西湖区文三路90号",
    phone="13912345678",
    family_doctor="李医生",
    chronic_diseases=["高血压", "糖尿病"],
    death_date=None,
)


def _read_one(tmp_path: Path, **changes: str) -> HealthRecord | BadRecordError:
    result = read_one_csv(tmp_path, "health", {**GOOD, **changes})
    assert isinstance(result, HealthRecord | BadRecordError)
    return result


def _record(tmp_path: Path, **changes: str) -> HealthRecord:
    result = _read_one(tmp_path, **changes)
    assert isinstance(result, HealthRecord), result
    return result


def test_good_row_gives_exact_record(tmp_path: Path) -> None:
    assert _read_one(tmp_path) == EXPECTED


@pytest.mark.parametrize(
    ("code", "gender"), [("1", Gender.MALE), ("2", Gender.FEMALE), ("0", None), ("9", None), ("", None)]
)
def test_gender_codes(tmp_path: Path, code: str, gender: Gender | None) -> None:
    assert _record(tmp_path, 性别代码=code).gender == gender


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("01", DocumentType.RESIDENT_ID),
        ("02", DocumentType.LEGACY_OR_OTHER_ID),
        ("03", DocumentType.PASSPORT),
        ("06", DocumentType.HK_MACAU_PERMIT),
        ("07", DocumentType.TAIWAN_PERMIT),
        ("", None),
    ],
)
def test_document_type_codes(tmp_path: Path, code: str, kind: DocumentType | None) -> None:
    assert _record(tmp_path, 证件类型=code).document_type == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T09:30:00+08:00", datetime(2024, 5, 1, 9, 30, tzinfo=CST)),
        ("2024-05-01T01:30:00Z", datetime(2024, 5, 1, 1, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00.250+09:00", datetime(2024, 5, 1, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=9)))),
        ("2024-05-01T09:30:00", datetime(2024, 5, 1, 9, 30, tzinfo=CST)),  # no offset: Asia/Shanghai
    ],
)
def test_update_time_iso8601(tmp_path: Path, text: str, expected: datetime) -> None:
    updated_at = _record(tmp_path, 最后更新时间=text).updated_at
    assert updated_at == expected
    assert updated_at.utcoffset() == expected.utcoffset()


def test_death_date_and_single_disease(tmp_path: Path) -> None:
    record = _record(tmp_path, 死亡日期="20240420", 慢病标识=" 高血压; ")
    assert record.death_date == date(2024, 4, 20)
    assert record.chronic_diseases == ["高血压"]


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"档案号": ""}, "档案号", "required value missing"),
        ({"患者姓名": " "}, "患者姓名", "required value missing"),
        ({"最后更新时间": ""}, "最后更新时间", "required value missing"),
        ({"最后更新时间": "2024-05-01"}, "最后更新时间", "unparsable date"),
        ({"最后更新时间": "2024/05/01 09:30"}, "最后更新时间", "unparsable date"),
        ({"最后更新时间": "2024-05-01T25:00:00+08:00"}, "最后更新时间", "unparsable date"),
        ({"出生日期": "1985-03-12"}, "出生日期", "expected YYYYMMDD"),
        ({"出生日期": "19850231"}, "出生日期", "unparsable date"),
        ({"死亡日期": "2024042"}, "死亡日期", "unparsable date"),
        ({"性别代码": "3"}, "性别代码", "invalid code '3'"),
        ({"性别代码": "男"}, "性别代码", "invalid code"),
        ({"证件类型": "1"}, "证件类型", "invalid code '1'"),
        ({"证件类型": "04"}, "证件类型", "invalid code"),
    ],
)
def test_bad_values(tmp_path: Path, changes: dict[str, str], column: str, fragment: str) -> None:
    result = _read_one(tmp_path, **changes)
    assert_bad_column(result, column, fragment)


def test_stray_bom_is_tolerated(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + csv_bytes("health", [GOOD])
    assert [row.result for row in read_all(write(tmp_path, "health", data))] == [EXPECTED]


def test_parse_row_maps_a_json_push() -> None:
    assert parse_row("health", GOOD) == EXPECTED
    with pytest.raises(BadRecordError, match="column 性别代码: expected text, got int"):
        parse_row("health", {**GOOD, "性别代码": 1})


def test_rows_with_wrong_column_count_name_their_key(tmp_path: Path) -> None:
    key, keys = keys_of_rows_with_wrong_column_count(tmp_path, "health")
    assert keys == [key] * 6
