"""Which citizen a mobile number belongs to, from every citizen that shows it (own vs contact phones).

A number may be shown by several citizens: a spouse's mobile given as a contact, a parent's mobile
on a child's record, a recycled number. The rule: a citizen's *share* of a number is the share of
its records with a phone (latest versions, phone-authority sources) that show it. A mobile is a
contact number for a citizen when another citizen shows it with a strictly greater share (the
spouse's mobile fills all of the spouse's records and one of the citizen's); otherwise it is the
citizen's own. Landlines are household numbers and never anyone's own mobile.

The book depends only on the final clusters (which citizen shows what), never on row order, so
both drivers compute it the same way: `hub resolve` fills it once over all clusters, the streaming
driver updates the clusters a batch rebuilt and rebuilds every master that shares a number with
them (`touched`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from hub.engine.state import Version

PhoneCounts = tuple[dict[str, int], int]  # mobile number -> records showing it; records with any phone


def phone_counts(versions: Sequence[Version], sources: Mapping[str, int]) -> PhoneCounts:
    """How many of one citizen's records (of the ranked sources) show each mobile, and how many show any phone."""
    mobiles: dict[str, int] = {}
    total = 0
    for version in versions:
        if version.record.source not in sources:
            continue
        person = version.mentions.person
        phone = person.phone if person is not None else None
        if phone is None or not phone.valid:
            continue
        total += 1
        if phone.kind == "mobile":
            mobiles[phone.digits] = mobiles.get(phone.digits, 0) + 1
    return mobiles, total


class PhoneBook:
    """Per citizen, the mobiles its records show; per mobile, the citizens showing it."""

    def __init__(self) -> None:
        self.counts: dict[str, PhoneCounts] = {}
        self.holders: dict[str, set[str]] = defaultdict(set)

    def put(self, citizen_id: str, counts: PhoneCounts) -> set[str]:
        """Set one citizen's counts; return the numbers whose holders or shares changed (old and new)."""
        changed = self.drop(citizen_id)
        if counts[0]:
            self.counts[citizen_id] = counts
            for number in counts[0]:
                self.holders[number].add(citizen_id)
                changed.add(number)
        return changed

    def drop(self, citizen_id: str) -> set[str]:
        """Forget a citizen (a retired cluster); return the numbers it showed."""
        old = self.counts.pop(citizen_id, None)
        if old is None:
            return set()
        for number in old[0]:
            holders = self.holders[number]
            holders.discard(citizen_id)
            if not holders:
                del self.holders[number]
        return set(old[0])

    def touched(self, numbers: set[str]) -> set[str]:
        """The citizens whose masters depend on these numbers: everyone showing one of them."""
        found: set[str] = set()
        for number in numbers:
            found |= self.holders.get(number, set())
        return found

    def contacts_of(self, citizen_id: str) -> frozenset[str]:
        """The mobiles this citizen shows that another citizen shows with a strictly greater share."""
        counts = self.counts.get(citizen_id)
        if counts is None:
            return frozenset()
        mine, total = counts
        contacts = set()
        for number, shown in mine.items():
            holders = self.holders[number]
            if len(holders) < 2:
                continue
            for other in holders:
                if other == citizen_id:
                    continue
                theirs, their_total = self.counts[other]
                if theirs[number] * total > shown * their_total:  # their share > mine, without division
                    contacts.add(number)
                    break
        return frozenset(contacts)
