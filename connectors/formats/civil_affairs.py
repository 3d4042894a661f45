"""民政 civil affairs export (``civil_affairs*.csv``): UTF-8 with BOM, RFC 4180, header row."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from hub.contract.records import AssistanceType, CivilAffairsRecord, Gender, MaritalStatus

from .dialect import Dialect, csv_dialect
from .values import dashed_date, dashed_datetime, enum_code, missing, required, validator_for

__all__ = ["DIALECT", "build"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "记录编号",
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "民族",
    "婚姻状况",
    "户籍地址",
    "居住地址",
    "联系电话",
    "所属街道",
    "所属社区",
    "救助类型",
    "养老服务对象",
    "死亡日期",
    "更新时间",
)
REQUIRED = ("记录编号", "姓名", "更新时间")

GENDERS: Final = {"男": Gender.MALE, "女": Gender.FEMALE}
MARITAL_STATUSES: Final = {
    "未婚": MaritalStatus.UNMARRIED,
    "已婚": MaritalStatus.MARRIED,
    "离婚": MaritalStatus.DIVORCED,
    "丧偶": MaritalStatus.WIDOWED,
}
ASSISTANCE_TYPES: Final = {
    "低保": AssistanceType.MINIMUM_LIVING,
    "特困": AssistanceType.EXTREME_POVERTY,
    "临时救助": AssistanceType.TEMPORARY,
}
YES_NO: Final = {"是": True, "否": False}

_validate: Final = validator_for(CivilAffairsRecord)


def build(row: Mapping[str, str]) -> CivilAffairsRecord:
    """Map one row (column → stripped value) to the typed record."""
    get = row.get
    record_id = required(row, "记录编号")
    name = required(row, "姓名")
    updated_at = dashed_datetime(row, "更新时间")
    if updated_at is None:
        raise missing("更新时间")
    return _validate(
        {
            "record_id": record_id,
            "name": name,
            "updated_at": updated_at,
            "gender": enum_code(row, "性别", GENDERS),
            "id_number": get("公民身份号码") or None,
            "birth_date": dashed_date(row, "出生日期"),
            "ethnicity": get("民族") or None,
            "marital_status": enum_code(row, "婚姻状况", MARITAL_STATUSES),
            "hukou_address": get("户籍地址") or None,
            "residence_address": get("居住地址") or None,
            "phone": get("联系电话") or None,
            "street": get("所属街道") or None,
            "community": get("所属社区") or None,
            "assistance_type": enum_code(row, "救助类型", ASSISTANCE_TYPES),
            "elderly_care": enum_code(row, "养老服务对象", YES_NO),
            "death_date": dashed_date(row, "死亡日期"),
        }
    )


DIALECT: Final[Dialect] = csv_dialect("civil_affairs", "utf-8", COLUMNS, REQUIRED, build)
