"""Response models of the window: what a hall receives, field by field with its provenance.

Why explicit models: the OpenAPI document is the contract halls and their suppliers build
against, and a model is the last guard that nothing but the decided fields leaves the hub (no
`extra`: an undeclared key cannot slip into an answer). Counts of hidden records are never a
field: a search answers with the candidates the caller may see and nothing about the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.window.lookup import Grade

DEPARTMENT_LABELS = {"civil_affairs": "民政", "health": "卫健", "hrss": "人社", "tax": "税务", "commerce": "市场监管"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(_Out):
    source: str = Field(description="department: civil_affairs, health, hrss, tax, commerce")
    source_label: str = Field(description="民政, 卫健, 人社, 税务, 市场监管")
    record: str = Field(description="the department's record key the value came from")
    as_of: datetime = Field(description="when the department last changed that record")


class FieldValue(_Out):
    mode: Literal["full", "masked", "presence"]
    value: Any = Field(default=None, description="the value (full), its masked form (masked); none for presence")
    answer: str | None = Field(default=None, description="presence: 享受社会救助: 是（低保）")
    provenance: Provenance | None = None


class Member(_Out):
    citizen_id: str
    name: FieldValue | None = None


class ConflictView(_Out):
    """多元校核: the value the owning department gives, contradicted by another department's."""

    field: str
    authoritative: FieldValue
    contradicting: FieldValue


class CitizenView(_Out):
    citizen_id: str
    redirected_from: str | None = Field(default=None, description="the id asked for, retired by a merge")
    purpose: str
    fields: dict[str, FieldValue]
    conflicts: list[ConflictView] = Field(default_factory=list,
                                          description="open data-quality conflicts on fields the purpose shows")
    household: list[Member] | None = Field(default=None, description="others whose current residence it is")
    data_as_of: datetime | None = Field(default=None, description="newest department change behind this view")


class Candidate(_Out):
    grade: Grade
    citizen: CitizenView


class SearchResult(_Out):
    lookup: Literal["id_number", "name_birth_date", "phone"]
    candidates: list[Candidate]
    read_at: datetime


class Residents(_Out):
    address_id: str
    residents: list[CitizenView]
    read_at: datetime


class LegalRepresentative(_Out):
    citizen_id: str | None = None
    name: str | None = None


class OrganizationView(_Out):
    organization_id: str
    credit_code: str
    name: str | None = None
    org_type: str | None = None
    status: str | None = None
    legal_representative: LegalRepresentative | None = None
    address: str | None = None
    provenance: Provenance | None = None


class Disclosure(_Out):
    at: datetime
    hall: str | None
    purpose: str | None
    fields: list[str]


class Disclosures(_Out):
    citizen_id: str
    disclosures: list[Disclosure]


class ReportIn(BaseModel):
    """A value the resident says is wrong or outdated (多元校核 from the counter)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field: str = Field(min_length=1, max_length=40)
    resident_says: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500)


class ReportOut(_Out):
    report_id: str
    citizen_id: str
    field: str
    owner: str = Field(description="department that owns the field by the resolution policy's field authority")
    status: Literal["submitted"]
    submitted_at: datetime
