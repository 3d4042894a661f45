"""市场监管 commerce export (``commerce*.csv``): UTF-8, header row; 核准日期 is the record's update time."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time
from typing import Final

from hub.contract.records import CommerceRecord, RegistrationStatus
from hub.contract.timezone import CST

from .dialect import Dialect, csv_dialect
from .values import dashed_date, enum_code, missing, required, validator_for

__all__ = ["DIALECT", "build"]

logger = logging.getLogger(__name__)

COLUMNS = (
    "统一社会信用代码",
    "企业名称",
    "企业类型",
    "法定代表人",
    "法定代表人证件号码",
    "联系电话",
    "住所",
    "成立日期",
    "登记状态",
    "登记机关",
    "核准日期",
)
REQUIRED = ("统一社会信用代码", "企业名称", "核准日期")

REGISTRATION_STATUSES: Final = {
    "存续": RegistrationStatus.EXISTING,
    "在业": RegistrationStatus.OPERATING,
    "注销": RegistrationStatus.DEREGISTERED,
    "吊销": RegistrationStatus.REVOKED,
}
_MIDNIGHT: Final = time(0, tzinfo=CST)


_validate: Final = validator_for(CommerceRecord)


def build(row: Mapping[str, str]) -> CommerceRecord:
    """Map one row (column → stripped value) to the typed record.

    The credit code is kept as written (its check character is the engine's concern): it is the key the
    department uses, valid or not.
    """
    get = row.get
    record_id = required(row, "统一社会信用代码")
    business_name = required(row, "企业名称")
    approval_date = dashed_date(row, "核准日期")
    if approval_date is None:
        raise missing("核准日期")
    return _validate(
        {
            "record_id": record_id,
            "business_name": business_name,
            "updated_at": datetime.combine(approval_date, _MIDNIGHT),
            "approval_date": approval_date,
            "business_type": get("企业类型") or None,
            "legal_rep_name": get("法定代表人") or None,
            "legal_rep_id_number": get("法定代表人证件号码") or None,
            "phone": get("联系电话") or None,
            "address": get("住所") or None,
            "established_date": dashed_date(row, "成立日期"),
            "registration_status": enum_code(row, "登记状态", REGISTRATION_STATUSES),
            "registering_authority": get("登记机关") or None,
        }
    )


DIALECT: Final[Dialect] = csv_dialect("commerce", "utf-8", COLUMNS, REQUIRED, build)
