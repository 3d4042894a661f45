"""Survivorship: the master citizen as a pure function of the latest versions of its linked records.

Field authority (一数一源) comes from the policy: identity fields from the first source in the
authority list that has a value, phone from the most recent record (及时更新), residence from civil
affairs first, death from health then civil affairs. Every surviving value keeps its provenance,
and every identity value contradicted by another source is reported (多元校核).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from connectors.records import CivilAffairsRecord, DepartmentRecord, HealthRecord, HrssRecord, TaxRecord
from hub.engine.policy import AuthorityPolicy
from hub.engine.state import Version, newest_first


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A surviving value and where it came from."""

    value: Any
    source: str
    record_id: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Conflict:
    """An authoritative value contradicted by another department (feedback for data quality)."""

    citizen_id: str
    field: str
    authoritative: FieldValue
    contradicting: FieldValue


@dataclass(frozen=True, slots=True)
class MasterCitizen:
    citizen_id: str
    fields: dict[str, FieldValue]
    records: tuple[str, ...]

    def value(self, name: str) -> Any:
        found = self.fields.get(name)
        return found.value if found is not None else None

    def contract_row(self) -> dict[str, Any]:
        """The `hub resolve --masters` / `hub export masters` shape (departments.md)."""

        def iso(value: Any) -> str | None:
            return value.isoformat() if isinstance(value, date) else None

        return {
            "citizen_id": self.citizen_id,
            "name": self.value("name"),
            "id_number": self.value("id_number"),
            "birth_date": iso(self.value("birth_date")),
            "gender": self.value("gender"),
            "phone": self.value("phone"),
            "address_id": self.value("address_id"),
            "death_date": iso(self.value("death_date")),
        }


IDENTITY_FIELDS = ("name", "id_number", "birth_date", "gender")


def _by_authority(versions: Sequence[Version], sources: Sequence[str]) -> list[Version]:
    """Versions of the listed sources, in authority order, newest first within a source."""
    rank = _rank(tuple(sources))
    chosen = newest_first(v for v in versions if v.record.source in rank)
    chosen.sort(key=lambda v: rank[v.record.source])  # stable: newest first stays within a source
    return chosen


@lru_cache(maxsize=64)
def _rank(sources: tuple[str, ...]) -> dict[str, int]:
    """Position of each source in an authority list (the policy's lists are few and fixed)."""
    return {source: i for i, source in enumerate(sources)}


def _provenance(version: Version, value: Any) -> FieldValue:
    return FieldValue(value, version.record.source, version.record.record_id, version.record.updated_at)


def _identity_values(version: Version) -> dict[str, Any]:
    person = version.mentions.person
    if person is None:
        return {}
    rid = person.resident_id
    document = person.document.split(":", 1)[1] if person.document else None
    return {
        "name": person.name.display if person.name else None,
        "valid_id": rid.value if rid is not None and rid.valid else None,
        "document": document,
        "invalid_id": rid.value if rid is not None and not rid.valid else None,
        "birth_date": person.birth_date,
        "gender": person.gender,
    }


def _first(ordered: Sequence[Version], pick: Callable[[Version], Any]) -> FieldValue | None:
    for version in ordered:
        value = pick(version)
        if value is not None and value != [] and value != "":
            return _provenance(version, value)
    return None


def build_master(
    citizen_id: str,
    versions: Sequence[Version],
    authority: AuthorityPolicy,
    address_id_of: Callable[[str], str | None],
    organization_id_of: Callable[[str], str | None],
) -> tuple[MasterCitizen, list[Conflict]]:
    """Merge the latest versions of one cluster's records into its master record."""
    identity_order = _by_authority(versions, authority.identity)
    ids = {id(v): _identity_values(v) for v in identity_order}

    def ident(v: Version, key: str) -> Any:
        return ids[id(v)].get(key)

    fields: dict[str, FieldValue] = {}

    def put(name: str, value: FieldValue | None) -> None:
        if value is not None:
            fields[name] = value

    put("name", _first(identity_order, lambda v: ident(v, "name")))
    put(
        "id_number",
        _first(identity_order, lambda v: ident(v, "valid_id"))
        or _first(identity_order, lambda v: ident(v, "document"))
        or _first(identity_order, lambda v: ident(v, "invalid_id")),
    )
    put("birth_date", _first(identity_order, lambda v: ident(v, "birth_date")))
    put("gender", _first(identity_order, lambda v: ident(v, "gender")))

    phone_sources = set(authority.phone)
    phone_versions = [
        v for v in versions
        if v.record.source in phone_sources and v.mentions.person and v.mentions.person.phone
        and v.mentions.person.phone.valid
    ]
    rank = _rank(tuple(authority.phone))

    def recency(v: Version) -> tuple[datetime, int]:
        return v.record.updated_at, -rank[v.record.source]

    phone_versions.sort(key=recency, reverse=True)
    if len(phone_versions) > 1 and recency(phone_versions[0]) == recency(phone_versions[1]):
        phone_versions.sort(key=lambda v: (*recency(v), v.order[1]), reverse=True)  # rare: hash the tie
    put("phone", _first(phone_versions, lambda v: v.mentions.person.phone.digits if v.mentions.person
                        and v.mentions.person.phone else None))

    def residence(v: Version) -> str | None:
        text = v.mentions.address_text
        return address_id_of(text) if text else None

    residence_value = _first(_by_authority(versions, authority.residence), residence)
    if residence_value is None:
        fallback = [v for v in versions if v.record.source in set(authority.residence_fallback)]
        residence_value = _first(newest_first(fallback), residence)
    put("address_id", residence_value)
    put("death_date", _first(_by_authority(versions, authority.death),
                             lambda v: getattr(v.record, "death_date", None)))
    _department_facts(versions, authority, organization_id_of, put, fields)

    master = MasterCitizen(citizen_id, fields, tuple(sorted(_ref(v) for v in versions)))
    return master, _conflicts(master, identity_order, ident)


def _ref(version: Version) -> str:
    return f"{version.record.source}/{version.record.record_id}"


_OWNED_FACTS: dict[type[DepartmentRecord], tuple[str, ...]] = {
    CivilAffairsRecord: ("ethnicity", "marital_status", "assistance_type", "elderly_care", "hukou_address",
                         "street", "community"),
    HealthRecord: ("family_doctor", "chronic_diseases"),
    HrssRecord: ("insurance_status", "insurance_kinds", "social_security_card"),
}


def _department_facts(
    versions: Sequence[Version],
    authority: AuthorityPolicy,
    organization_id_of: Callable[[str], str | None],
    put: Callable[[str, FieldValue | None], None],
    fields: dict[str, FieldValue],
) -> None:
    """Facts a service window needs, each from the one department that owns it (newest record first)."""
    for version in newest_first(versions):
        owned = _OWNED_FACTS.get(type(version.record), ())
        for name in owned:
            value = getattr(version.record, name)
            value = getattr(value, "value", value)
            if value is not None and value != [] and value != "" and name not in fields:
                fields[name] = _provenance(version, value)
    employment = _by_authority(
        [v for v in versions if isinstance(v.record, HrssRecord | TaxRecord)], authority.employment
    )

    def employer(v: Version) -> str | None:
        org = v.mentions.organization
        return organization_id_of(org.key) if org is not None else None

    put("employer_id", _first(employment, employer))


def _conflicts(
    master: MasterCitizen, identity_order: Sequence[Version], ident: Callable[[Version, str], Any]
) -> list[Conflict]:
    found: list[Conflict] = []
    checks = {"name": "name", "birth_date": "birth_date", "gender": "gender", "id_number": "valid_id"}
    for field_name, key in checks.items():
        surviving = master.fields.get(field_name)
        if surviving is None:
            continue
        for version in identity_order:
            value = ident(version, key)
            if value is not None and value != surviving.value:
                found.append(Conflict(master.citizen_id, field_name, surviving, _provenance(version, value)))
    return found
