"""卫健 health export (``health*.csv``): UTF-8, header row, GB/T 2261.1 and document codes, YYYYMMDD."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from hub.contract.records import DocumentType, Gender, HealthRecord

from .dialect import Dialect, csv_dialect
from .values import (
    compact_date,
    enum_code,
    iso_datetime,
    missing,
    required,
    split_list,
    validator_for,
)

__all__ = ["DIALECT", "build"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "档案号",
    "患者姓名",
    "性别代码",
    "证件类型",
    "证件号码",
    "出生日期",
    "现住址",
    "手机号码",
    "签约家庭医生",
    "慢病标识",
    "死亡日期",
    "最后更新时间",
)
REQUIRED = ("档案号", "患者姓名", "最后更新时间")

#: GB/T 2261.1: 0 not known, 9 not stated; both read as no gender.
GENDER_CODES: Final[dict[str, Gender | None]] = {"1": Gender.MALE, "2": Gender.FEMALE, "0": None, "9": None}
DOCUMENT_TYPES: Final = {
    "01": DocumentType.RESIDENT_ID,
    "02": DocumentType.LEGACY_OR_OTHER_ID,
    "03": DocumentType.PASSPORT,
    "06": DocumentType.HK_MACAU_PERMIT,
    "07": DocumentType.TAIWAN_PERMIT,
}


_validate: Final = validator_for(HealthRecord)


def build(row: Mapping[str, str]) -> HealthRecord:
    """Map one row (column → stripped value) to the typed record."""
    get = row.get
    record_id = required(row, "档案号")
    name = required(row, "患者姓名")
    updated_at = iso_datetime(row, "最后更新时间")
    if updated_at is None:
        raise missing("最后更新时间")
    return _validate(
        {
            "record_id": record_id,
            "name": name,
            "updated_at": updated_at,
            "gender": enum_code(row, "性别代码", GENDER_CODES),
            "document_type": enum_code(row, "证件类型", DOCUMENT_TYPES),
            "document_number": get("证件号码") or None,
            "birth_date": compact_date(row, "出生日期"),
            "address": get("现住址") or None,
            "phone": get("手机号码") or None,
            "family_doctor": get("签约家庭医生") or None,
            "chronic_diseases": split_list(row, "慢病标识", ";"),
            "death_date": compact_date(row, "死亡日期"),
        }
    )


DIALECT: Final[Dialect] = csv_dialect("health", "utf-8", COLUMNS, REQUIRED, build)
