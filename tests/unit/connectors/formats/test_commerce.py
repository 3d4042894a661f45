"""Commerce (市场监管) export: 核准日期 is the update time; business name is required."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from connectors.formats import parse_row
from hub.contract.errors import BadRecordError
from hub.contract.records import CommerceRecord, RegistrationStatus
from hub.contract.timezone import CST
from tests.unit.connectors.formats.support import (
    GOOD_ROWS,
    assert_bad_column,
    keys_of_rows_with_wrong_column_count,
    read_one_csv,
)

GOOD = GOOD_ROWS["commerce"]

EXPECTED = CommerceRecord(
    record_id="91330106MA2AXXXX0X",
    updated_at=datetime(2024, 4, 30, 0, 0, tzinfo=CST),
    business_name="杭州某某科技有限公司",
    business_type="有限责任公司",
    legal_rep_name="陈晓明",
    legal_rep_id_number="330106198503121234",
    phone="0571-88886666",
    address="杭州市西湖区文三路90号",
    established_date=date(2015, 6, 1),
    registration_status=RegistrationStatus.EXISTING,
    registering_authority="杭州市西湖区市场监督管理局",
    approval_date=date(2024, 4, 30),
)


def _read_one(tmp_path: Path, **changes: str) -> CommerceRecord | BadRecordError:
    result = read_one_csv(tmp_path, "commerce", {**GOOD, **changes})
    assert isinstance(result, CommerceRecord | BadRecordError)
    return result


def test_good_row_gives_exact_record(tmp_path: Path) -> None:
    record = _read_one(tmp_path)
    assert record == EXPECTED
    assert isinstance(record, CommerceRecord)
    assert record.updated_at.isoformat() == "2024-04-30T00:00:00+08:00"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("存续", RegistrationStatus.EXISTING),
        ("在业", RegistrationStatus.OPERATING),
        ("注销", RegistrationStatus.DEREGISTERED),
        ("吊销", RegistrationStatus.REVOKED),
        ("", None),
    ],
)
def test_registration_status(tmp_path: Path, text: str, status: RegistrationStatus | None) -> None:
    result = _read_one(tmp_path, 登记状态=text)
    assert isinstance(result, CommerceRecord)
    assert result.registration_status == status


def test_legal_representative_is_optional(tmp_path: Path) -> None:
    result = _read_one(tmp_path, 法定代表人="", 法定代表人证件号码="")
    assert isinstance(result, CommerceRecord)
    assert result.legal_rep_name is None


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"统一社会信用代码": ""}, "统一社会信用代码", "required value missing"),
        ({"企业名称": ""}, "企业名称", "required value missing"),
        ({"核准日期": ""}, "核准日期", "required value missing"),
        ({"核准日期": "2024-4-30"}, "核准日期", "unparsable date"),
        ({"成立日期": "20150601"}, "成立日期", "expected YYYY-MM-DD"),
        ({"登记状态": "迁出"}, "登记状态", "invalid code '迁出'"),
    ],
)
def test_bad_values(tmp_path: Path, changes: dict[str, str], column: str, fragment: str) -> None:
    result = _read_one(tmp_path, **changes)
    assert_bad_column(result, column, fragment)


def test_parse_row_maps_a_json_push() -> None:
    assert parse_row("commerce", GOOD) == EXPECTED


def test_rows_with_wrong_column_count_name_their_key(tmp_path: Path) -> None:
    key, keys = keys_of_rows_with_wrong_column_count(tmp_path, "commerce")
    assert keys == [key] * 6
