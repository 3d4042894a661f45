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
from enum import Enum
from functools import lru_cache
from typing import Any, NamedTuple

from connectors.records import CivilAffairsRecord, DepartmentRecord, HealthRecord, HrssRecord, TaxRecord
from hub.engine.policy import AuthorityPolicy
from hub.engine.state import Version, newest_first


class FieldValue(NamedTuple):
    """A surviving value and where it came from (a named tuple: a master makes a dozen of them)."""

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


def _by_authority(newest: Sequence[Version], sources: Sequence[str]) -> list[Version]:
    """Versions of the listed sources, in authority order, newest first within a source.

    `newest` is already newest first; the sort by rank is stable, so that order stays within a source.
    """
    rank = _rank(tuple(sources))
    chosen = [v for v in newest if v.record.source in rank]
    if len(chosen) > 1:
        chosen.sort(key=lambda v: rank[v.record.source])
    return chosen


@lru_cache(maxsize=64)
def _rank(sources: tuple[str, ...]) -> dict[str, int]:
    """Position of each source in an authority list (the policy's lists are few and fixed)."""
    return {source: i for i, source in enumerate(sources)}


def _provenance(version: Version, value: Any) -> FieldValue:
    record = version.record
    return FieldValue(value, record.source, record.record_id, record.updated_at)


class _Identity(NamedTuple):
    """The identity values one version offers, in the order survivorship asks for them."""

    name: str | None
    valid_id: str | None
    document: str | None
    invalid_id: str | None
    birth_date: date | None
    gender: str | None


_NO_IDENTITY = _Identity(None, None, None, None, None, None)


def _identity_values(version: Version) -> _Identity:
    person = version.mentions.person
    if person is None:
        return _NO_IDENTITY
    rid = person.resident_id
    valid = rid is not None and rid.valid
    return _Identity(
        person.name.display if person.name else None,
        rid.value if rid is not None and valid else None,
        person.document.split(":", 1)[1] if person.document else None,
        rid.value if rid is not None and not valid else None,
        person.birth_date,
        person.gender,
    )


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def _first(ordered: Sequence[Version], pick: Callable[[Version], Any]) -> FieldValue | None:
    for version in ordered:
        value = pick(version)
        if _present(value):
            return _provenance(version, value)
    return None


def _first_identity(identities: Sequence[tuple[Version, _Identity]], index: int) -> FieldValue | None:
    for version, values in identities:
        value = values[index]
        if _present(value):
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
    newest = newest_first(versions)
    identities = [(v, _identity_values(v)) for v in _by_authority(newest, authority.identity)]
    fields: dict[str, FieldValue] = {}

    def put(name: str, value: FieldValue | None) -> None:
        if value is not None:
            fields[name] = value

    put("name", _first_identity(identities, _NAME))
    put(
        "id_number",
        _first_identity(identities, _VALID_ID)
        or _first_identity(identities, _DOCUMENT)
        or _first_identity(identities, _INVALID_ID),
    )
    put("birth_date", _first_identity(identities, _BIRTH_DATE))
    put("gender", _first_identity(identities, _GENDER))
    put("phone", _phone(versions, authority))

    def residence(v: Version) -> str | None:
        text = v.mentions.address_text
        return address_id_of(text) if text else None

    residence_value = _first(_by_authority(newest, authority.residence), residence)
    if residence_value is None:
        fallback = set(authority.residence_fallback)
        residence_value = _first([v for v in newest if v.record.source in fallback], residence)
    put("address_id", residence_value)
    put("death_date", _first(_by_authority(newest, authority.death), lambda v: getattr(v.record, "death_date", None)))
    _department_facts(newest, authority, organization_id_of, put, fields)

    master = MasterCitizen(citizen_id, fields, tuple(sorted(_ref(v) for v in versions)))
    return master, _conflicts(master, identities)


_NAME, _VALID_ID, _DOCUMENT, _INVALID_ID, _BIRTH_DATE, _GENDER = range(6)


def _phone(versions: Sequence[Version], authority: AuthorityPolicy) -> FieldValue | None:
    """The most recent valid phone; on a tie of update times the more authoritative source, then the hash."""
    rank = _rank(tuple(authority.phone))
    phone_versions = []
    for v in versions:
        person = v.mentions.person
        if v.record.source in rank and person is not None and person.phone is not None and person.phone.valid:
            phone_versions.append(v)
    if not phone_versions:
        return None

    def recency(v: Version) -> tuple[datetime, int]:
        return v.record.updated_at, -rank[v.record.source]

    phone_versions.sort(key=recency, reverse=True)
    if len(phone_versions) > 1 and recency(phone_versions[0]) == recency(phone_versions[1]):
        phone_versions.sort(key=lambda v: (*recency(v), v.order[1]), reverse=True)  # rare: hash the tie
    best = phone_versions[0]
    assert best.mentions.person is not None and best.mentions.person.phone is not None
    return _provenance(best, best.mentions.person.phone.digits)


def _ref(version: Version) -> str:
    return f"{version.record.source}/{version.record.record_id}"


_OWNED_FACTS: dict[type[DepartmentRecord], tuple[str, ...]] = {
    CivilAffairsRecord: ("ethnicity", "marital_status", "assistance_type", "elderly_care", "hukou_address",
                         "street", "community"),
    HealthRecord: ("family_doctor", "chronic_diseases"),
    HrssRecord: ("insurance_status", "insurance_kinds", "social_security_card"),
}


def _department_facts(
    newest: Sequence[Version],
    authority: AuthorityPolicy,
    organization_id_of: Callable[[str], str | None],
    put: Callable[[str, FieldValue | None], None],
    fields: dict[str, FieldValue],
) -> None:
    """Facts a service window needs, each from the one department that owns it (newest record first)."""
    for version in newest:
        record = version.record
        for name in _OWNED_FACTS.get(type(record), ()):
            if name in fields:
                continue
            value = getattr(record, name)
            if isinstance(value, Enum):  # not getattr(value, "value", ...): its miss raises, slowly
                value = value.value
            if value is not None and value != [] and value != "":
                fields[name] = _provenance(version, value)
    employed = [v for v in newest if isinstance(v.record, HrssRecord | TaxRecord)]
    employment = _by_authority(employed, authority.employment)

    def employer(v: Version) -> str | None:
        org = v.mentions.organization
        return organization_id_of(org.key) if org is not None else None

    put("employer_id", _first(employment, employer))


_CHECKED = (("name", _NAME), ("birth_date", _BIRTH_DATE), ("gender", _GENDER), ("id_number", _VALID_ID))


def _conflicts(master: MasterCitizen, identities: Sequence[tuple[Version, _Identity]]) -> list[Conflict]:
    found: list[Conflict] = []
    for field_name, index in _CHECKED:
        surviving = master.fields.get(field_name)
        if surviving is None:
            continue
        for version, values in identities:
            value = values[index]
            if value is not None and value != surviving.value:
                found.append(Conflict(master.citizen_id, field_name, surviving, _provenance(version, value)))
    return found
