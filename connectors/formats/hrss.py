"""人社 HRSS export (``hrss*.csv``): GBK-encoded, header row, insurance kinds comma-separated in quotes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from hub.contract.records import Gender, HrssRecord, InsuranceStatus

from .dialect import Dialect, csv_dialect
from .values import (
    compact_date,
    enum_code,
    missing,
    required,
    slashed_datetime,
    split_list,
    validator_for,
)

__all__ = ["DIALECT", "build"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "个人编号",
    "姓名",
    "社会保障号码",
    "性别",
    "出生日期",
    "参保状态",
    "参保险种",
    "单位名称",
    "单位统一社会信用代码",
    "通讯地址",
    "联系电话",
    "社保卡号",
    "变更时间",
)
REQUIRED = ("个人编号", "姓名", "变更时间")

GENDERS: Final = {"男": Gender.MALE, "女": Gender.FEMALE}
INSURANCE_STATUSES: Final = {
    "参保缴费": InsuranceStatus.CONTRIBUTING,
    "暂停缴费": InsuranceStatus.SUSPENDED,
    "终止参保": InsuranceStatus.TERMINATED,
}


_validate: Final = validator_for(HrssRecord)


def build(row: Mapping[str, str]) -> HrssRecord:
    """Map one row (column → stripped value) to the typed record."""
    get = row.get
    record_id = required(row, "个人编号")
    name = required(row, "姓名")
    updated_at = slashed_datetime(row, "变更时间")
    if updated_at is None:
        raise missing("变更时间")
    return _validate(
        {
            "record_id": record_id,
            "name": name,
            "updated_at": updated_at,
            "id_number": get("社会保障号码") or None,
            "gender": enum_code(row, "性别", GENDERS),
            "birth_date": compact_date(row, "出生日期"),
            "insurance_status": enum_code(row, "参保状态", INSURANCE_STATUSES),
            "insurance_kinds": split_list(row, "参保险种", ","),
            "employer_name": get("单位名称") or None,
            "employer_credit_code": get("单位统一社会信用代码") or None,
            "address": get("通讯地址") or None,
            "phone": get("联系电话") or None,
            "social_security_card": get("社保卡号") or None,
        }
    )


DIALECT: Final[Dialect] = csv_dialect("hrss", "gbk", COLUMNS, REQUIRED, build)
