"""Typed department records: what each department's row means, once its dialect has been read.

These pydantic models are the contract between the connectors (which read the five export
formats, `docs/departments.md`), the Avro schemas in `schemas/` (one record schema
per department, same field names), and the resolution engine (which standardises them).

Hand-typed identity values (ID numbers, names, phones, addresses) are kept as written, only
stripped of surrounding whitespace: normalising them is the engine's job, and the original is
evidence. Closed code lists are decoded to English enum values; dates are real dates; update
times are timezone-aware (Asia/Shanghai when the department gives no offset).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from hub.contract.sources import Source
from hub.contract.timezone import CST


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class DocumentType(StrEnum):
    """Kind of identity document, unified over health's and tax's code lists."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (health 01, tax 201)
    LEGACY_OR_OTHER_ID = "legacy_or_other_id"  # health 02
    PASSPORT = "passport"  # health 03, tax 208
    HK_MACAU_PERMIT = "hk_macau_permit"  # health 06
    TAIWAN_PERMIT = "taiwan_permit"  # health 07
    HK_MACAU_TAIWAN_PERMIT = "hk_macau_taiwan_permit"  # tax 213


class MaritalStatus(StrEnum):
    UNMARRIED = "unmarried"  # 未婚
    MARRIED = "married"  # 已婚
    DIVORCED = "divorced"  # 离婚
    WIDOWED = "widowed"  # 丧偶


class AssistanceType(StrEnum):
    MINIMUM_LIVING = "minimum_living"  # 低保
    EXTREME_POVERTY = "extreme_poverty"  # 特困
    TEMPORARY = "temporary"  # 临时救助


class InsuranceStatus(StrEnum):
    CONTRIBUTING = "contributing"  # 参保缴费
    SUSPENDED = "suspended"  # 暂停缴费
    TERMINATED = "terminated"  # 终止参保


class RegistrationStatus(StrEnum):
    EXISTING = "existing"  # 存续
    OPERATING = "operating"  # 在业
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 吊销


class DepartmentRecord(BaseModel):
    """Fields every department record has: its own key and the time the department last changed it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Source
    record_id: str
    updated_at: datetime

    @field_validator("updated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=CST)


class CivilAffairsRecord(DepartmentRecord):
    """民政: the authority for identity, residence and social assistance."""

    source: Literal["civil_affairs"] = "civil_affairs"
    name: str
    gender: Gender | None = None
    id_number: str | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    marital_status: MaritalStatus | None = None
    hukou_address: str | None = None
    residence_address: str | None = None
    phone: str | None = None
    street: str | None = None
    community: str | None = None
    assistance_type: AssistanceType | None = None
    elderly_care: bool | None = None
    death_date: date | None = None


class HealthRecord(DepartmentRecord):
    """卫健: the authority for health facts and (with civil affairs) death."""

    source: Literal["health"] = "health"
    name: str
    gender: Gender | None = None
    document_type: DocumentType | None = None
    document_number: str | None = None
    birth_date: date | None = None
    address: str | None = None
    phone: str | None = None
    family_doctor: str | None = None
    chronic_diseases: list[str] = []
    death_date: date | None = None


class HrssRecord(DepartmentRecord):
    """人社: the authority for insurance status and employment."""

    source: Literal["hrss"] = "hrss"
    name: str
    id_number: str | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    insurance_status: InsuranceStatus | None = None
    insurance_kinds: list[str] = []
    employer_name: str | None = None
    employer_credit_code: str | None = None
    address: str | None = None
    phone: str | None = None
    social_security_card: str | None = None


class TaxRecord(DepartmentRecord):
    """税务: employment and income facts, keyed by taxpayer registration number."""

    source: Literal["tax"] = "tax"
    name: str
    document_type: DocumentType | None = None
    document_number: str | None = None
    phone: str | None = None
    address: str | None = None
    employer_name: str | None = None
    employer_credit_code: str | None = None
    tax_year: int | None = None
    tax_paid: Decimal | None = None


class CommerceRecord(DepartmentRecord):
    """市场监管: one registered business; record_id is its unified social credit code."""

    source: Literal["commerce"] = "commerce"
    business_name: str
    business_type: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    established_date: date | None = None
    registration_status: RegistrationStatus | None = None
    registering_authority: str | None = None
    approval_date: date | None = None


AnyDepartmentRecord = CivilAffairsRecord | HealthRecord | HrssRecord | TaxRecord | CommerceRecord

RECORD_TYPES: dict[str, type[DepartmentRecord]] = {
    "civil_affairs": CivilAffairsRecord,
    "health": HealthRecord,
    "hrss": HrssRecord,
    "tax": TaxRecord,
    "commerce": CommerceRecord,
}
