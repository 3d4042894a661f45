"""Avro datums of the master, lifecycle and conflict topics, built from the engine's results.

Times in these datums come from the records (their update times), never from the wall clock,
and event ids are hashes of the content, so a redelivered batch writes byte-identical messages.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any

from hub.contract.timezone import CST
from hub.engine.lifecycle import LifecycleEvent
from hub.engine.mentions import OrgMention
from hub.engine.standardise.addresses import ParsedAddress
from hub.engine.survivorship import Conflict, MasterCitizen

EPOCH = datetime(1970, 1, 1, tzinfo=CST)
_NS = uuid.UUID("0d7f3c2a-9b1e-5c4d-8a6f-2e1b3c4d5e6f")
DEPARTMENTS = ("civil_affairs", "health", "hrss", "tax", "commerce")
_ENUMS = {
    "gender": ("male", "female"),
    "marital_status": ("unmarried", "married", "divorced", "widowed"),
    "assistance_type": ("minimum_living", "extreme_poverty", "temporary"),
    "insurance_status": ("contributing", "suspended", "terminated"),
}
#: Master fields that map one-to-one onto master.citizen.v1 fields.
_CITIZEN_FIELDS = ("name", "id_number", "ethnicity", "phone", "address_id", "family_doctor", "elderly_care")


def _value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _enum(name: str, value: Any) -> str | None:
    value = _value(value)
    return value if isinstance(value, str) and value in _ENUMS[name] else None


def _date(value: Any) -> date | None:
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def record_refs(refs: Iterable[str]) -> list[dict[str, str]]:
    out = []
    for ref in sorted(refs):
        source, _, key = ref.partition("/")
        if source in DEPARTMENTS:
            out.append({"source": source, "record_key": key})
    return out


def citizen_datum(master: MasterCitizen, city_code: str, updated_at: datetime) -> dict[str, Any]:
    """Value of master.citizen.v1 for one live master."""
    v = master.value
    datum: dict[str, Any] = {name: (None if v(name) is None else _value(v(name))) for name in _CITIZEN_FIELDS}
    datum["elderly_care"] = v("elderly_care") if isinstance(v("elderly_care"), bool) else None
    id_number = datum["id_number"]
    datum.update({
        "citizen_id": master.citizen_id,
        "city_code": city_code,
        "gender": _enum("gender", v("gender")),
        "birth_date": _date(v("birth_date")),
        "document_type": "resident_id" if isinstance(id_number, str) and len(id_number) == 18 else None,
        "marital_status": _enum("marital_status", v("marital_status")),
        "hukou_address_id": None if v("registered_address_id") is None else str(v("registered_address_id")),
        "household_member_ids": [],
        "assistance_type": _enum("assistance_type", v("assistance_type")),
        "insurance_status": _enum("insurance_status", v("insurance_status")),
        "insurance_kinds": _strings(v("insurance_kinds")),
        "employer_organization_id": v("employer_id"),
        "employer_name": None,
        "chronic_diseases": _strings(v("chronic_diseases")),
        "death_date": _date(v("death_date")),
        "source_records": record_refs(master.records),
        "provenance": {
            name: {"source": fv.source, "record_key": fv.record_id, "updated_at": fv.updated_at}
            for name, fv in sorted(master.fields.items()) if fv.source in DEPARTMENTS
        },
        "redirected_to": None,
        "updated_at": updated_at,
    })
    for key in ("name", "id_number", "ethnicity", "phone", "address_id", "family_doctor", "employer_organization_id"):
        if datum[key] is not None:
            datum[key] = str(datum[key])
    return datum


def address_datum(address_id: str, city_code: str, parsed: ParsedAddress | None,
                  residents: Iterable[str]) -> dict[str, Any]:
    """Value of master.address.v1: components of the most complete text of the place."""
    p = parsed or ParsedAddress()
    return {
        "address_id": address_id, "city_code": city_code,
        "province": p.province, "city": p.city, "district": p.district, "street": p.street,
        "community": p.community, "road": p.road, "number": p.number, "building": p.building,
        "unit": p.unit, "room": p.room,
        "division_code": p.district_code or p.city_code or p.province_code,
        "canonical_text": p.canonical or None,
        "resident_ids": sorted(residents), "source_records": [], "provenance": {},
        "redirected_to": None, "updated_at": EPOCH,
    }


def organization_datum(org_id: str, city_code: str, mentions: Sequence[OrgMention]) -> dict[str, Any]:
    """Value of master.organization.v1: the valid credit code and name seen for the organization."""
    ordered = sorted(mentions, key=lambda m: (not m.code_valid, m.credit_code or "~", m.name or "~"))
    code = next((m.credit_code for m in ordered if m.credit_code and m.code_valid), None)
    name = next((m.name for m in ordered if m.name), None)
    return {
        "organization_id": org_id, "city_code": city_code, "credit_code": code, "name": name,
        "org_type": None, "status": None, "registered_address_id": None, "legal_rep_citizen_id": None,
        "employee_citizen_ids": [], "phone": None, "established_date": None, "registering_authority": None,
        "source_records": [], "provenance": {}, "redirected_to": None, "updated_at": EPOCH,
    }


def lifecycle_datum(event: LifecycleEvent, city_code: str, occurred_at: datetime) -> dict[str, Any]:
    name = "\x1f".join([event.kind.value, ",".join(event.old_ids), event.new_id, ",".join(event.moved_refs)])
    return {
        "event_id": str(uuid.uuid5(_NS, name)), "city_code": city_code, "entity": "CITIZEN",
        "kind": event.kind.value, "old_ids": list(event.old_ids), "new_id": event.new_id,
        "reason": event.reason, "moved_records": record_refs(event.moved_refs), "occurred_at": occurred_at,
    }


def _text(value: Any) -> str | None:
    value = _value(value)
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def conflict_datum(conflict: Conflict, city_code: str) -> dict[str, Any]:
    a, c = conflict.authoritative, conflict.contradicting
    parts = [conflict.citizen_id, conflict.field, a.source, a.record_id, _text(a.value) or "",
             c.source, c.record_id, _text(c.value) or ""]
    return {
        "conflict_id": hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32],
        "city_code": city_code, "entity": "CITIZEN", "master_id": conflict.citizen_id,
        "field": conflict.field,
        "authoritative_source": a.source, "authoritative_record_key": a.record_id,
        "authoritative_value": _text(a.value),
        "contradicting_source": c.source, "contradicting_record_key": c.record_id,
        "contradicting_value": _text(c.value),
        "detected_at": max(a.updated_at, c.updated_at),
    }


def latest_time(times: Iterable[datetime], default: datetime = EPOCH) -> datetime:
    return max(times, default=default)


def most_complete(parsed: Mapping[str, ParsedAddress], texts: Iterable[str]) -> ParsedAddress | None:
    """The parse with most components among `texts` (ties: the smallest text), for the address record."""
    best: tuple[int, str] | None = None
    for text in texts:
        p = parsed.get(text)
        if p is None:
            continue
        score = (-sum(1 for v in p.components().values() if v), text)
        if best is None or score < best:
            best = score
    return parsed[best[1]] if best else None
