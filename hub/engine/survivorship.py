"""Survivorship: the master citizen as a pure function of the latest versions of its linked records.

Field authority (一数一源) comes from the policy: identity fields from the first source in the
authority list that has a value (birth date and gender from the master's checksum-valid resident
ID itself when it has one: a typed column that disagrees is a conflict for its department), phone:
the citizen's own mobile of the most recent record showing one (a mobile another citizen owns by
the phone book's age, time, share and childhood rules is a contact, `hub.engine.phonebook`), else
the most recent landline, else the most recent number shown (及时更新); every number stays in `contacts`
with its source. The current residence from the most recent record of any department, the
registered (户籍) address from civil affairs, death from health then civil affairs. Every surviving
value keeps its provenance, and every identity value contradicted by another source is reported (多元校核).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from operator import itemgetter
from typing import Any, Final, NamedTuple

from hub.contract.records import CivilAffairsRecord, DepartmentRecord, HealthRecord, HrssRecord, TaxRecord
from hub.engine.mentions import RecordMentions, content_hash, record_ref
from hub.engine.policy import AuthorityPolicy
from hub.engine.state import Version


class FieldValue(NamedTuple):
    """A surviving value and where it came from (a named tuple: a master makes a dozen of them)."""

    value: Any
    source: str
    record_id: str
    updated_at: datetime


#: What `FieldValue(...)` runs, without the interpreted `__new__` a named tuple class has (a third
#: of survivorship's time went into those frames).
_TUPLE_NEW: Final = tuple.__new__


@dataclass(frozen=True, slots=True, init=False)
class Conflict:
    """An authoritative value contradicted by another department (feedback for data quality)."""

    citizen_id: str
    field: str
    authoritative: FieldValue
    contradicting: FieldValue

    def __init__(self, citizen_id: str, field: str, authoritative: FieldValue, contradicting: FieldValue) -> None:
        """Written out: the dataclass-made __init__ stays interpreted under mypyc (as `MasterCitizen`)."""
        object.__setattr__(self, "citizen_id", citizen_id)
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "authoritative", authoritative)
        object.__setattr__(self, "contradicting", contradicting)


class Contact(NamedTuple):
    """A number one of the citizen's records shows: whether it is the citizen's own (a landline is
    a household's, a mobile another citizen holds more strongly is a contact), and where it is from."""

    phone: str
    kind: str  # mobile | landline | unknown
    own: bool
    source: str
    record_id: str
    updated_at: datetime


@dataclass(frozen=True, slots=True, init=False)
class MasterCitizen:
    citizen_id: str
    fields: dict[str, FieldValue]
    records: tuple[str, ...]
    contacts: tuple[Contact, ...] = ()  # every number shown, newest first

    def __init__(self, citizen_id: str, fields: dict[str, FieldValue], records: tuple[str, ...],
                 contacts: tuple[Contact, ...] = ()) -> None:
        """Written out: the dataclass-made __init__ stays interpreted under mypyc; these object.__setattr__
        calls of a frozen class compile to slot writes (one master a citizen)."""
        object.__setattr__(self, "citizen_id", citizen_id)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "records", records)
        object.__setattr__(self, "contacts", contacts)

    def value(self, name: str) -> Any:
        found = self.fields.get(name)
        return found.value if found is not None else None

    def contract_row(self) -> dict[str, Any]:
        """The `hub resolve --masters` / `hub export masters` shape (docs/departments.md)."""
        return {
            "citizen_id": self.citizen_id,
            "name": self.value("name"),
            "id_number": self.value("id_number"),
            "birth_date": _iso(self.value("birth_date")),
            "gender": self.value("gender"),
            "phone": self.value("phone"),
            "address_id": self.value("address_id"),
            "registered_address_id": self.value("registered_address_id"),
            "death_date": _iso(self.value("death_date")),
        }

    def origins(self) -> list[tuple[str, str, datetime, list[str]]]:
        """Each record version the surviving values came from (source, record id, update time) and
        the fields it gave, in field order: the provenance of a dozen fields in two or three entries.

        Found by a scan of those few entries: cheaper than hashing a key per field."""
        found: list[tuple[str, str, datetime, list[str]]] = []
        for name, value in self.fields.items():
            source, record_id, updated_at = value.source, value.record_id, value.updated_at
            for origin in found:
                if origin[1] == record_id and origin[0] == source and origin[2] == updated_at:
                    origin[3].append(name)
                    break
            else:
                found.append((source, record_id, updated_at, [name]))
        return found


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


IDENTITY_FIELDS: Final = ("name", "id_number", "birth_date", "gender")


class _Seen:
    """One version, with the record fields every surviving value cites read once (a master cites
    its few records a dozen times)."""

    def __init__(self, version: Version) -> None:
        self.version = version
        self.mentions: RecordMentions = version.mentions
        self.source: str = version.source
        self.record_id: str = version.record_id
        self.updated_at: datetime = version.updated_at

    @property
    def record(self) -> DepartmentRecord:
        """The whole record, rebuilt (only a tie of update times needs it, for the content hash)."""
        return self.version.record

    def provenance(self, value: Any) -> FieldValue:
        result: FieldValue = _TUPLE_NEW(FieldValue, (value, self.source, self.record_id, self.updated_at))
        return result


class _Plan:
    """An authority policy as survivorship walks it: each list as distinct sources in rank order."""

    def __init__(self, authority: AuthorityPolicy) -> None:
        self.authority = authority
        self.identity = _in_rank_order(authority.identity)
        self.residence_rank = _rank(authority.residence)
        self.registered = _in_rank_order(authority.registered)
        self.phone_rank = _rank(authority.phone)
        self.death = _in_rank_order(authority.death)
        self.employment = _in_rank_order(authority.employment)


def _rank(sources: Sequence[str]) -> dict[str, int]:
    """Position of each source in an authority list (a source listed twice ranks at its last place)."""
    return {source: i for i, source in enumerate(sources)}


def _in_rank_order(sources: Sequence[str]) -> tuple[str, ...]:
    rank = _rank(sources)
    return tuple(sorted(rank, key=rank.__getitem__))


_last_plan: _Plan | None = None


def _plan_of(authority: AuthorityPolicy) -> _Plan:
    """The plan of `authority`, kept for the next master (a run resolves every master with one policy)."""
    global _last_plan
    plan = _last_plan
    if plan is None or plan.authority is not authority:
        plan = _last_plan = _Plan(authority)
    return plan


def _newest_first(seen: list[_Seen]) -> list[_Seen]:
    """By descending (update time, content hash), the total order of versions (`state._newer`).
    The hash only breaks ties of update time, which are rare: it is computed when one occurs."""
    ordered = sorted(seen, key=_updated_at, reverse=True)
    for i in range(1, len(ordered)):
        if ordered[i - 1].updated_at == ordered[i].updated_at:
            ordered.sort(key=_order, reverse=True)
            break
    return ordered


def _updated_at(seen: _Seen) -> datetime:
    return seen.updated_at


def _order(seen: _Seen) -> tuple[datetime, str]:
    return (seen.updated_at, content_hash(seen.record))


def _by_source(newest: Sequence[_Seen]) -> dict[str, list[_Seen]]:
    """Versions grouped by source, newest first within each."""
    groups: dict[str, list[_Seen]] = {}
    for seen in newest:
        group = groups.get(seen.source)
        if group is None:
            groups[seen.source] = [seen]
        else:
            group.append(seen)
    return groups


def _by_authority(groups: dict[str, list[_Seen]], sources: tuple[str, ...]) -> list[_Seen]:
    """Versions of the listed sources, in authority order, newest first within a source."""
    chosen: list[_Seen] = []
    for source in sources:
        group = groups.get(source)
        if group is not None:
            chosen.extend(group)
    return chosen


#: The identity values one version offers, in the order survivorship asks for them: name, valid
#: resident ID, other document, invalid resident ID, birth date, gender (a plain tuple: cheap to make).
_Identity = tuple[str | None, str | None, str | None, str | None, date | None, str | None]

_NO_IDENTITY: Final[_Identity] = (None, None, None, None, None, None)
_NAME, _VALID_ID, _DOCUMENT, _INVALID_ID, _BIRTH_DATE, _GENDER = range(6)


def _identity_values(seen: _Seen) -> _Identity:
    person = seen.mentions.person
    if person is None:
        return _NO_IDENTITY
    rid = person.resident_id
    valid = rid is not None and rid.valid
    return (
        person.name.display if person.name else None,
        rid.value if rid is not None and valid else None,
        person.document.split(":", 1)[1] if person.document else None,
        rid.value if rid is not None and not valid else None,
        person.birth_date,
        person.gender,
    )


def _present(value: Any) -> bool:
    """Not None, "" or []; compared by type (`value != []` on a text tries both sides' comparisons)."""
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        return len(value) > 0
    return value is not None


def _first_identity(identities: Sequence[tuple[_Seen, _Identity]], index: int) -> FieldValue | None:
    for seen, values in identities:
        value = values[index]
        if value is not None and value != "":  # `_present` for a text or a date
            return seen.provenance(value)
    return None


def build_master(
    citizen_id: str,
    versions: Sequence[Version],
    authority: AuthorityPolicy,
    address_id_of: Callable[[str], str | None],
    organization_id_of: Callable[[str], str | None],
    contact_numbers: frozenset[str] = frozenset(),
) -> tuple[MasterCitizen, list[Conflict]]:
    """Merge the latest versions of one cluster's records into its master record.

    `contact_numbers`: the mobiles this citizen shows that are other citizens' own (`PhoneBook.contacts_of`).
    """
    plan = _plan_of(authority)
    seen = [_Seen(v) for v in versions]
    newest = _newest_first(seen)
    groups = _by_source(newest)
    identities = [(s, _identity_values(s)) for s in _by_authority(groups, plan.identity)]
    fields: dict[str, FieldValue] = {}
    _put(fields, "name", _first_identity(identities, _NAME))
    valid_id = _first_identity(identities, _VALID_ID)
    _put(fields, "id_number", valid_id or _first_identity(identities, _DOCUMENT)
         or _first_identity(identities, _INVALID_ID))
    if valid_id is not None:  # a checksum-valid ID's own digits win over any typed column
        digits: str = valid_id.value
        born = _id_birth_date(digits)
        _put(fields, "birth_date", _cited(valid_id, born) if born is not None
             else _first_identity(identities, _BIRTH_DATE))
        _put(fields, "gender", _cited(valid_id, "male" if int(digits[16]) % 2 else "female"))
    else:
        _put(fields, "birth_date", _first_identity(identities, _BIRTH_DATE))
        _put(fields, "gender", _first_identity(identities, _GENDER))
    contacts = _contacts(seen, plan.phone_rank, contact_numbers)
    _put(fields, "phone", _phone(seen, plan.phone_rank, contacts))
    _put(fields, "address_id", _newest_address(seen, plan.residence_rank, address_id_of))
    _put(fields, "registered_address_id", _first_address(_by_authority(groups, plan.registered), address_id_of))
    _put(fields, "death_date", _death(_by_authority(groups, plan.death)))
    _department_facts(newest, fields)
    _put(fields, "employer_id", _employer(_by_authority(groups, plan.employment), organization_id_of))

    master = MasterCitizen(citizen_id, fields, tuple(sorted([record_ref(s.source, s.record_id) for s in seen])),
                           contacts)
    return master, _conflicts(master, identities)


def _id_birth_date(digits: str) -> date | None:
    """The birth date an 18-digit resident ID encodes (None if its date part is not a real date)."""
    try:
        return date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return None


def _cited(origin: FieldValue, value: Any) -> FieldValue:
    """`value` with the provenance of `origin` (a value derived from another, as a birth date from an ID)."""
    result: FieldValue = _TUPLE_NEW(FieldValue, (value, origin.source, origin.record_id, origin.updated_at))
    return result


def _put(fields: dict[str, FieldValue], name: str, value: FieldValue | None) -> None:
    if value is not None:
        fields[name] = value


def _phone(seen: Sequence[_Seen], rank: dict[str, int], contacts: tuple[Contact, ...]) -> FieldValue | None:
    """The citizen's own phone: the most recent record showing an own mobile, else the most recent
    showing a landline, else the most recent showing any valid number; on a tie of update times the
    more authoritative source, then the hash. With no contact numbers this is the most recent number.

    The first of the versions (in the given order) that no other beats, as a stable sort would pick.
    """
    tier_of = {c.phone: 0 if c.own else 1 if c.kind == "landline" else 2 for c in contacts}
    best: _Seen | None = None
    best_rank = 0
    best_tier = 3
    best_digits = ""
    for s in seen:
        r = rank.get(s.source)
        if r is None:
            continue
        person = s.mentions.person
        if person is None or person.phone is None or not person.phone.valid:
            continue
        tier = tier_of.get(person.phone.digits, 2)
        if best is None or tier < best_tier or (tier == best_tier and _more_recent(s, r, best, best_rank)):
            best, best_rank, best_tier, best_digits = s, r, tier, person.phone.digits
    return best.provenance(best_digits) if best is not None else None


def _contacts(seen: Sequence[_Seen], rank: dict[str, int], contact_numbers: frozenset[str]) -> tuple[Contact, ...]:
    """Every valid number the ranked sources show, one entry per record, newest first (then source rank,
    record id): a mobile is own unless it is in `contact_numbers`; a landline is never own."""
    found: list[tuple[datetime, int, str, Contact]] = []
    for s in seen:
        r = rank.get(s.source)
        if r is None:
            continue
        person = s.mentions.person
        phone = person.phone if person is not None else None
        if phone is None or not phone.valid:
            continue
        own = phone.kind == "mobile" and phone.digits not in contact_numbers
        contact: Contact = _TUPLE_NEW(Contact, (phone.digits, phone.kind, own, s.source, s.record_id, s.updated_at))
        found.append((s.updated_at, r, s.record_id, contact))
    if len(found) > 1:  # a sort computes every key, even of one item
        # (rank, record id) ascending, then a stable sort newest first: ties of update time keep that
        # order. C key functions: a lambda is a call into the engine per item, a timestamp a float each
        found.sort(key=_RANK_AND_ID)
        found.sort(key=_UPDATED_AT, reverse=True)
    return tuple(item[3] for item in found)


_RANK_AND_ID: Final = itemgetter(1, 2)
_UPDATED_AT: Final = itemgetter(0)


def _more_recent(a: _Seen, a_rank: int, b: _Seen, b_rank: int) -> bool:
    """Whether `a` sorts strictly after `b` by (update time, -rank, content hash)."""
    if a.updated_at != b.updated_at:
        return a.updated_at > b.updated_at
    if a_rank != b_rank:
        return a_rank < b_rank
    return content_hash(a.record) > content_hash(b.record)  # rare: hash the tie


def _newest_address(seen: Sequence[_Seen], rank: dict[str, int],
                    address_id_of: Callable[[str], str | None]) -> FieldValue | None:
    """The current residence: the address of the most recent record that gives one, whichever of the
    ranked departments it is (a mover may tell any of them first); on a tie of update times the more
    authoritative source, then the hash (as `_phone`)."""
    best: _Seen | None = None
    best_rank = 0
    best_id = ""
    for s in seen:
        r = rank.get(s.source)
        if r is None:
            continue
        text = s.mentions.address_text
        if not text:
            continue
        if best is None or _more_recent(s, r, best, best_rank):
            address_id = address_id_of(text)
            if address_id is not None and address_id != "":
                best, best_rank, best_id = s, r, address_id
    return best.provenance(best_id) if best is not None else None


def _first_address(ordered: Sequence[_Seen], address_id_of: Callable[[str], str | None]) -> FieldValue | None:
    for s in ordered:
        text = s.mentions.address_text
        if text:
            address_id = address_id_of(text)
            if address_id is not None and address_id != "":
                return s.provenance(address_id)
    return None


def _death(ordered: Sequence[_Seen]) -> FieldValue | None:
    for s in ordered:
        value = s.version.value("death_date")
        if _present(value):
            return s.provenance(value)
    return None


def _employer(ordered: Sequence[_Seen], organization_id_of: Callable[[str], str | None]) -> FieldValue | None:
    for s in ordered:
        org = s.mentions.organization
        if org is not None and s.version.model in _EMPLOYING:
            organization_id = organization_id_of(org.key)
            if organization_id is not None and organization_id != "":
                return s.provenance(organization_id)
    return None


#: The records whose organization is the person's employer (commerce's is the business itself).
_EMPLOYING: Final = (HrssRecord, TaxRecord)

_OWNED_FACTS: Final[dict[type[DepartmentRecord], tuple[str, ...]]] = {
    CivilAffairsRecord: ("ethnicity", "marital_status", "assistance_type", "elderly_care", "hukou_address",
                         "street", "community"),
    HealthRecord: ("family_doctor", "chronic_diseases"),
    HrssRecord: ("insurance_status", "insurance_kinds", "social_security_card"),
}


_OWNED_POSITIONS: Final[dict[type[DepartmentRecord], tuple[tuple[str, int], ...]]] = {}


def _owned_positions(model: type[DepartmentRecord]) -> tuple[tuple[str, int], ...]:
    """The facts a department owns, each with its position in `Version.values` (none for the others)."""
    found = _OWNED_POSITIONS.get(model)
    if found is None:
        names = tuple(model.model_fields)
        found = _OWNED_POSITIONS[model] = tuple((name, names.index(name)) for name in _OWNED_FACTS.get(model, ()))
    return found


def _department_facts(newest: Sequence[_Seen], fields: dict[str, FieldValue]) -> None:
    """Facts a service window needs, each from the one department that owns it (newest record first)."""
    for s in newest:
        owned = _owned_positions(s.version.model)
        if not owned:
            continue
        values = s.version.values
        for name, position in owned:
            if name in fields:
                continue
            value = values[position]
            if isinstance(value, Enum):  # not getattr(value, "value", ...): its miss raises, slowly
                value = value._value_  # what the `value` property returns, without its interpreted call
            if _present(value):
                fields[name] = s.provenance(value)


_CHECKED: Final = (("name", _NAME), ("birth_date", _BIRTH_DATE), ("gender", _GENDER), ("id_number", _VALID_ID))


def _conflicts(master: MasterCitizen, identities: Sequence[tuple[_Seen, _Identity]]) -> list[Conflict]:
    found: list[Conflict] = []
    for field_name, index in _CHECKED:
        surviving = master.fields.get(field_name)
        if surviving is None:
            continue
        for seen, values in identities:
            value = values[index]
            if value is not None and value != surviving.value:
                found.append(Conflict(master.citizen_id, field_name, surviving, seen.provenance(value)))
    return found
