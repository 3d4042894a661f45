"""Applying a purpose to a citizen document: the view a hall may see, and what it was shown.

Why one function for every answer: search results, a citizen, a household, 本人查询 all pass
through `citizen_view`, so the masking and hiding rules cannot differ between routes, and the
audit gets the exact (field, mode) pairs that left the hub from the same place that made them.

Why plain dicts and not the models of `hub.window.views`: a view is built on every lookup, and
building it as pydantic models (then validated again and dumped by FastAPI) was a fifth of an ID
lookup's CPU (bench/window.py). The dicts have exactly the models' keys, made only here (`_field`,
`_provenance`, `citizen_view`); the models stay the OpenAPI contract, and the tests check that every
view of every purpose validates against them and dumps to the same JSON (`ViewJson`).

Jurisdiction (属地): a citizen belongs to the district and street of their current residence
(the residence record's address, parsed by the engine's parser; the street as civil affairs
records it). A hall sees citizens of its jurisdiction; outside it only with a city-wide (通办)
purpose. A citizen whose residence is unknown is outside every jurisdiction but the whole city's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.engine.standardise.addresses import parse_address
from hub.window.credentials import Credential
from hub.window.masking import is_present, mask_value, presence_text
from hub.window.purposes import VIEW_FIELDS, Mode, Purpose
from hub.window.views import DEPARTMENT_LABELS

#: A view or part of one, as JSON-ready dicts shaped exactly like `hub.window.views`' models.
ViewJson = dict[str, Any]

#: View fields read as they are from the document's `fields` (others are derived below).
DIRECT = tuple(f for f in VIEW_FIELDS if f not in ("residence", "household", "employer"))
#: Address fields of each department's record.
ADDRESS_FIELD = {"civil_affairs": "residence_address", "health": "address", "hrss": "address", "tax": "address"}


@dataclass
class Extras:
    """What a view needs besides the document: read by the routes from the read model."""

    residence_text: str | None = None
    employer_name: str | None = None
    household: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Shown:
    """Citizen id -> field -> mode, everything a response disclosed (for the audit)."""

    fields: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, cid: str, name: str, mode: Mode) -> None:
        self.fields.setdefault(cid, {})[name] = mode.value


def doc_field(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    found = doc.get("fields", {}).get(name)
    return found if isinstance(found, dict) else None


def provenance(entry: dict[str, Any] | None) -> ViewJson | None:
    """A `Provenance` (as a dict) of a document's field entry, or None when it names no department."""
    return _Provenances()(entry)


class _Provenances:
    """The provenance dicts of one view, each (source, record, time) parsed and made once: one department
    record gives several fields (civil affairs: name, ID, birth date, gender, phone, residence...)."""

    def __init__(self) -> None:
        self.times: dict[str, datetime] = {}
        self.made: dict[tuple[str, str, str], ViewJson] = {}

    def time(self, text: str) -> datetime:
        at = self.times.get(text)
        if at is None:
            at = self.times[text] = datetime.fromisoformat(text)
        return at

    def __call__(self, entry: dict[str, Any] | None) -> ViewJson | None:
        if entry is None or not entry.get("source"):
            return None
        source, record, at = str(entry["source"]), str(entry.get("record_id", "")), str(entry["updated_at"])
        made = self.made.get((source, record, at))
        if made is None:
            made = self.made[(source, record, at)] = {
                "source": source, "source_label": DEPARTMENT_LABELS.get(source, source), "record": record,
                "as_of": self.time(at)}
        return made


def _field(mode: str, value: Any = None, answer: str | None = None, prov: ViewJson | None = None) -> ViewJson:
    """A `FieldValue` (as a dict): every key of the model, always."""
    return {"mode": mode, "value": value, "answer": answer, "provenance": prov}


def residence_ref(doc: dict[str, Any]) -> str | None:
    """`source/record_id` of the record the current residence came from."""
    entry = doc_field(doc, "address_id")
    if entry is None or entry.get("source") not in ADDRESS_FIELD:
        return None
    return f"{entry['source']}/{entry['record_id']}"


def residence_text_of(record: dict[str, Any] | None) -> str | None:
    if record is None:
        return None
    value = record.get(ADDRESS_FIELD.get(str(record.get("source")), "address"))
    return value if isinstance(value, str) and value else None


def in_jurisdiction(cred: Credential, city_code: str, doc: dict[str, Any], residence_text: str | None) -> bool:
    if city_code in cred.jurisdiction:
        return True
    parsed = parse_address(residence_text, city_code) if residence_text else None
    district = parsed.district_code if parsed else None
    street_entry = doc_field(doc, "street")
    street = street_entry.get("value") if street_entry else None
    if not street and parsed is not None:
        street = parsed.street
    for code in cred.jurisdiction:
        wanted_district, _, wanted_street = code.partition("/")
        if district != wanted_district:
            continue
        if not wanted_street or wanted_street == street:
            return True
    return False


def _value_for(mode: Mode, name: str, value: Any, entry: dict[str, Any] | None, provenances: _Provenances
               ) -> ViewJson:
    prov = provenances(entry)
    if mode is Mode.PRESENCE:
        return _field("presence", answer=presence_text(name, value), prov=prov if is_present(value) else None)
    if mode is Mode.MASKED:
        return _field("masked", mask_value(name, value), prov=prov)
    return _field("full", value, prov=prov)


def citizen_view(doc: dict[str, Any], purpose: Purpose, extras: Extras, shown: Shown, *,
                 redirected_from: str | None = None, with_household: bool = True) -> ViewJson:
    """The `CitizenView` (as a dict) of `doc` for `purpose`; every (field, mode) it shows goes to `shown`."""
    cid = str(doc["citizen_id"])
    out: dict[str, ViewJson] = {}
    provenances = _Provenances()
    newest: datetime | None = None
    for entry in doc.get("fields", {}).values():
        if isinstance(entry, dict) and entry.get("updated_at"):
            at = provenances.time(str(entry["updated_at"]))
            newest = at if newest is None or at > newest else newest
    for name in DIRECT:
        mode = purpose.mode(name)
        entry = doc_field(doc, name)
        value = entry.get("value") if entry else None
        if mode is Mode.HIDDEN or (mode is not Mode.PRESENCE and not is_present(value)):
            continue
        out[name] = _value_for(mode, name, value, entry, provenances)
        shown.add(cid, name, mode)
    residence_entry = doc_field(doc, "address_id")
    mode = purpose.mode("residence")
    if mode is not Mode.HIDDEN and (residence_entry or mode is Mode.PRESENCE):
        if mode is Mode.FULL:
            place: Any = {"address_id": residence_entry.get("value") if residence_entry else None,
                          "text": extras.residence_text}
            out["residence"] = _field("full", place, prov=provenances(residence_entry))
        else:
            out["residence"] = _value_for(mode, "residence", extras.residence_text if mode is Mode.MASKED
                                          else residence_entry, residence_entry, provenances)
        shown.add(cid, "residence", mode)
    employer_entry = doc_field(doc, "employer_id")
    mode = purpose.mode("employer")
    if mode is not Mode.HIDDEN and (employer_entry or mode is Mode.PRESENCE):
        employer: Any = ({"organization_id": employer_entry.get("value"), "name": extras.employer_name}
                         if employer_entry else None)
        if mode is Mode.MASKED:
            employer = extras.employer_name
        out["employer"] = _value_for(mode, "employer", employer, employer_entry, provenances)
        shown.add(cid, "employer", mode)
    household: list[ViewJson] | None = None
    mode = purpose.mode("household")
    if with_household and mode is not Mode.HIDDEN:
        others = [m for m in extras.household if m.get("citizen_id") != cid]
        if mode is Mode.PRESENCE:
            out["household"] = _field("presence", answer=presence_text("household", others))
        else:
            household = []
            name_mode = Mode.MASKED if mode is Mode.MASKED else purpose.mode("name")
            for member in sorted(others, key=lambda m: str(m.get("citizen_id"))):
                mid = str(member["citizen_id"])
                name_entry = doc_field(member, "name")
                name_out = None
                if name_mode is not Mode.HIDDEN and name_entry is not None:
                    name_out = _value_for(name_mode, "name", name_entry.get("value"), name_entry, provenances)
                    shown.add(mid, "name", name_mode)
                shown.add(mid, "household_member", mode)
                household.append({"citizen_id": mid, "name": name_out})
        shown.add(cid, "household", mode)
    conflicts = _conflicts(doc, purpose, shown, cid, provenances)
    return {"citizen_id": cid, "redirected_from": redirected_from, "purpose": purpose.name, "fields": out,
            "conflicts": conflicts, "household": household, "data_as_of": newest}


#: The view field a master field's conflict is about, where the names differ.
_CONFLICT_FIELD: dict[str, str] = {"address_id": "residence", "registered_address_id": "hukou_address",
                                   "employer_id": "employer"}


def _conflicts(doc: dict[str, Any], purpose: Purpose, shown: Shown, cid: str, provenances: _Provenances
               ) -> list[ViewJson]:
    """The open conflicts on fields the purpose shows, each side in the field's mode (a presence-only
    field says that departments disagree and which, never the values)."""
    found: list[ViewJson] = []
    for item in doc.get("conflicts") or ():
        master_field = item.get("field") if isinstance(item, dict) else None
        if not isinstance(master_field, str):
            continue
        field = _CONFLICT_FIELD.get(master_field, master_field)
        mode = purpose.mode(field)
        if mode is Mode.HIDDEN:
            continue
        sides = []
        for side in (item.get("authoritative"), item.get("contradicting")):
            entry = side if isinstance(side, dict) else None
            if mode is Mode.PRESENCE:
                sides.append(_field("presence", answer="部门间不一致", prov=provenances(entry)))
            else:
                sides.append(_value_for(mode, field, entry.get("value") if entry else None, entry, provenances))
        found.append({"field": field, "authoritative": sides[0], "contradicting": sides[1]})
        shown.add(cid, f"conflict:{field}", mode)
    return found
