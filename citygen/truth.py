"""Ground truth beside the exports: which true person, place and organization each row is about, what a
correct hub must show for each citizen after survivorship, and the look-alike pairs it must not merge.

`survivorship` is the field-authority policy applied to the facts of a person's good rows; it is
the definition the scorer holds a hub to (see the README written into the truth directory).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

import orjson

from citygen.addresses import City, Place
from citygen.departments import AUTHORITY, Facts
from citygen.organizations import Organization

#: sources whose phone and primary address are the citizen's own (commerce's are the business's)
PERSONAL_SOURCES = frozenset({"civil_affairs", "health", "hrss", "tax"})


def _latest(facts: Iterable[Facts]) -> list[Facts]:
    """The latest version of each record: greatest update time; among equal times the last row read."""
    latest: dict[tuple[str, str], Facts] = {}
    for fact in facts:
        key = (fact.source, fact.record_id)
        current = latest.get(key)
        if current is None or fact.time >= current.time:
            latest[key] = fact
    return list(latest.values())


def _by_authority(records: list[Facts]) -> list[Facts]:
    return sorted(records, key=lambda f: (AUTHORITY[f.source], -f.time, f.record_id))


def _most_recent(records: list[Facts]) -> Facts | None:
    """Greatest update time; ties go to the more authoritative source, then the smaller record key."""
    if not records:
        return None
    return min(records, key=lambda f: (-f.time, AUTHORITY[f.source], f.record_id))


def _birth_from_id(id18: str) -> date | None:
    try:
        return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def survivorship(facts: Iterable[Facts]) -> dict[str, Any]:
    """The master values a correct hub shows, from the facts of one person's good rows.

    Identity (name, id, birth date, gender): the first value present in civil affairs, HRSS,
    health, tax, commerce (that order; within a department the most recently updated record),
    reading only the latest version of each record; the ID is the first *valid* resident ID (a
    15-digit one upgraded), else another document's number. Birth date and gender are what that ID
    encodes, over any typed column; without a valid ID, the first typed value. Phone, over the
    personal departments: the person's own mobile of the most recently updated latest version showing
    one; else the household landline of the most recent showing it; else the most recent number shown
    (a spouse's or guardian's mobile is a contact, not the person's own). Current residence (address_id): the most recently updated latest version
    with an address over the personal departments (a mover may tell any of them first). Registered
    address: civil affairs' most recently updated record's. Death: health, then civil affairs.
    """
    records = _latest(facts)
    ordered = _by_authority(records)
    name = next((f.name for f in ordered if f.name), None)
    id18 = next((f.id18 for f in ordered if f.id18), None)
    id_number = id18 or next((f.other_doc for f in ordered if f.other_doc), None)
    # a valid resident ID's own digits win over a typed column (the disagreement is a conflict)
    birth = _birth_from_id(id18) if id18 else None
    if birth is None:
        birth = next((f.birth for f in ordered if f.birth), None)
    gender = ("male" if int(id18[16]) % 2 else "female") if id18 else None
    if gender is None:
        gender = next((f.gender for f in ordered if f.gender), None)
    personal = [f for f in records if f.source in PERSONAL_SOURCES]
    shown = [f for f in personal if f.phone]
    phone = (_most_recent([f for f in shown if f.phone_kind == "own"])
             or _most_recent([f for f in shown if f.phone_kind == "landline"]) or _most_recent(shown))
    residence = _most_recent([f for f in personal if f.place_id])
    registered = _most_recent([f for f in records if f.source == "civil_affairs" and f.place_id])
    death = next((f.death for f in _by_authority([f for f in records if f.source == "health"]) if f.death),
                 None) or next((f.death for f in records if f.source == "civil_affairs" and f.death), None)
    return {
        "name": name,
        "id_number": id_number,
        "birth_date": birth.isoformat() if birth else None,
        "gender": gender,
        "phone": phone.phone if phone else None,
        "address_id": residence.place_id if residence else None,
        "registered_address_id": registered.place_id if registered else None,
        "death_date": death.isoformat() if death else None,
    }


def place_record(place: Place, city: City) -> dict[str, Any]:
    return {
        "address_id": place.id, "kind": place.kind, "district_code": place.district.code,
        "district": place.district.name, "street": place.street.name, "community": place.community,
        "road": place.road, "number": place.number, "estate": place.estate, "building": place.building,
        "unit": place.unit, "room": place.room, "village": place.village, "group": place.group,
        "canonical": place.canonical(city),
    }


def organization_record(org: Organization) -> dict[str, Any]:
    return {
        "organization_id": org.oid, "name": org.name, "credit_code": org.credit_code, "type": org.type_label,
        "kind": org.kind, "address_id": org.place.id, "established": org.established.isoformat(),
    }


class TruthWriter:
    """Streams the truth files; remembers only ids already written (places, organizations, people seen)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._records = open(directory / "records.jsonl", "wb")  # noqa: SIM115 - closed in close()
        self._citizens = open(directory / "citizens.jsonl", "wb")  # noqa: SIM115
        self._pairs = open(directory / "hard_pairs.jsonl", "wb")  # noqa: SIM115
        self._places = open(directory / "addresses.jsonl", "wb")  # noqa: SIM115
        self._orgs = open(directory / "organizations.jsonl", "wb")  # noqa: SIM115
        self.places_seen: set[str] = set()
        self.orgs_seen: set[str] = set()
        self.pair_counts: dict[str, int] = {}

    @staticmethod
    def _line(handle: IO[bytes], obj: dict[str, Any]) -> None:
        handle.write(orjson.dumps(obj) + b"\n")

    def record(self, obj: dict[str, Any]) -> None:
        self._line(self._records, obj)

    def citizen(self, obj: dict[str, Any]) -> None:
        self._line(self._citizens, obj)

    def pair(self, a: str, b: str, kind: str) -> None:
        first, second = sorted((a, b))
        self._line(self._pairs, {"a": first, "b": second, "kind": kind})
        self.pair_counts[kind] = self.pair_counts.get(kind, 0) + 1

    def place(self, place: Place, city: City) -> None:
        if place.id not in self.places_seen:
            self.places_seen.add(place.id)
            self._line(self._places, place_record(place, city))

    def organization(self, org: Organization) -> None:
        if org.oid not in self.orgs_seen:
            self.orgs_seen.add(org.oid)
            self._line(self._orgs, organization_record(org))

    def close(self) -> None:
        for handle in (self._records, self._citizens, self._pairs, self._places, self._orgs):
            handle.close()
