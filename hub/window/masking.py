"""Masking and presence answers: how a value looks when a purpose may not see it in full.

Why these exact rules: they are the ones halls already know from printed receipts (GB/T 35273
practice): a resident ID keeps its first 6 (the issuing district) and last 4, a phone its first 3
and last 4, enough to confirm with the resident at the counter, never enough to use elsewhere.
A value too short for its rule is starred entirely rather than mostly shown. Also the one place
that turns IDs and phones into log-safe text.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

STAR: Final = "*"


def _keep(value: str, head: int, tail: int) -> str:
    """`head` first and `tail` last characters, the rest starred.

    A value too short for the rule (it would show more than three quarters) shows only its last
    quarter, so a short local number or a passport number is never mostly in clear."""
    if head + tail > len(value) // 2 + (len(value) // 4):
        keep = len(value) // 4
        return STAR * (len(value) - keep) + (value[len(value) - keep:] if keep else "")
    return value[:head] + STAR * (len(value) - head - tail) + value[len(value) - tail:]


def mask_id(value: str) -> str:
    """Resident ID → first 6 + last 4 (330106********1234); other documents likewise when long enough."""
    return _keep(value, 6, 4)


def mask_phone(value: str) -> str:
    """Phone → first 3 + last 4 (139****5678, 057*****6666)."""
    return _keep(value, 3, 4)


def mask_name(value: str) -> str:
    """Name → first character (the surname, or the first of a transliterated name) and stars."""
    return value[:1] + STAR * max(len(value) - 1, 1) if value else value


def mask_date(value: str) -> str:
    """ISO date → year only (1985-**-**)."""
    return value[:4] + "-**-**" if len(value) >= 4 else STAR * len(value)


def mask_text(value: str) -> str:
    """Any other text (an address, a card number) → its first two characters and stars."""
    if len(value) <= 4:
        return STAR * len(value)
    return value[:2] + STAR * (len(value) - 2)


MASKERS: Final = {
    "id_number": mask_id,
    "phone": mask_phone,
    "name": mask_name,
    "birth_date": mask_date,
    "death_date": mask_date,
    "social_security_card": mask_id,
}


def mask_value(field: str, value: Any) -> Any:
    """The masked form of a field's value (lists element-wise; booleans cannot be masked: starred)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [mask_value(field, v) for v in value]
    if isinstance(value, bool):
        return STAR
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    return MASKERS.get(field, mask_text)(text)


#: Chinese labels of presence answers ("享受低保: 是").
LABELS: Final = {
    "name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "gender": "性别", "ethnicity": "民族",
    "marital_status": "婚姻状况", "death_date": "死亡登记", "phone": "联系电话", "residence": "现居住地址",
    "hukou_address": "户籍地址", "street": "所属街道", "community": "所属社区", "household": "同住家庭成员",
    "assistance_type": "享受社会救助", "elderly_care": "养老服务对象", "insurance_status": "社会保险参保",
    "insurance_kinds": "参保险种", "social_security_card": "社会保障卡", "employer": "就业单位",
    "family_doctor": "家庭医生签约", "chronic_diseases": "慢病登记",
}
ASSISTANCE_LABELS: Final = {"minimum_living": "低保", "extreme_poverty": "特困", "temporary": "临时救助"}


def is_present(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str | list | dict | tuple):
        return len(value) > 0
    return True


def presence_text(field: str, value: Any) -> str:
    """"享受社会救助: 是（低保）" style answer: whether, and for assistance the kind (a category, not a record)."""
    label = LABELS.get(field, field)
    if not is_present(value):
        return f"{label}: 否"
    if field == "assistance_type" and isinstance(value, str):
        return f"{label}: 是（{ASSISTANCE_LABELS.get(value, value)}）"
    if field == "insurance_status" and value != "contributing":
        return f"{label}: 否（{value}）"
    return f"{label}: 是"


def log_safe(kind: str, value: str | None) -> str | None:
    """What an audit event or log line may carry of a query value: IDs and phones masked."""
    if value is None:
        return None
    if kind in ("id_number", "phone"):
        return MASKERS[kind](value)
    if kind == "name":
        return mask_name(value)
    return value
