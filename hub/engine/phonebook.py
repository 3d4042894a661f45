"""Which citizen a mobile number belongs to, from every citizen that shows it (own vs contact phones).

A number may be shown by several citizens: a spouse's mobile given as a contact, a parent's mobile
on a child's record, a recycled number. For one citizen and one of the mobiles it shows, each other
citizen showing it is weighed in turn; the number is a contact for the citizen when some other
citizen *beats* it, by the first of these rules that decides:

1. Age. A record made before its citizen turned 16 (birth date from the citizen's resident ID, else
   a typed one) that shows a mobile an adult also shows on a record of their own adult years is the
   adult's: a child's record gives a parent's number. A citizen whose claims on the number are all
   such childhood records is beaten by an adult claimant, and never beats one.
2. Time. When every record of one citizen showing the number is older than every record of the
   other showing it, and the two share no home (a place or a landline), the periods do not overlap:
   the number was recycled (carriers give a released number to someone new). It is the later
   holder's, and the earlier holder's until the hand-over, so it is own for both; each one's newest
   own mobile then decides their phone.
3. Share. Otherwise (overlapping periods, or one household, where a spouse's record showing the
   partner's mobile after the partner's own records is no hand-over), a citizen's share of a number is
   the share of its records with a phone (latest versions, phone-authority sources) that show it; the
   strictly greater share wins (the spouse's mobile fills all of the spouse's records and one of the
   citizen's). Equal shares leave the number own for both. A share read off few records is weak
   evidence, so each is taken by the rule of succession, (shown + 1) / (records + 2): a wife's only
   record giving her husband's mobile (1/1, taken as 2/3) does not beat his 3 records of 4 (4/6).

A citizen whose record made before 16 shows a mobile another citizen beats it to (a guardian's) has
records that give guardians' numbers: a mobile shown only on its *older* childhood records is a
guardian's earlier number (the guardian changed numbers since), so a contact too. A mobile first
shown on a newer childhood record stays the child's own (a teenager's first phone).

Landlines are household numbers and never anyone's own mobile.

The book depends only on the final clusters and the places of their address texts (which citizen
shows what, when, where), never on row order, so both drivers compute it the same way: `hub resolve`
fills it once over all clusters, the streaming driver updates the clusters a batch rebuilt (places
are re-resolved first, and a record whose place moved rebuilds its cluster) and rebuilds every master
that shares a number with them (`touched`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Final, NamedTuple

from hub.engine.state import Version

#: below this age at the record's time, a mobile an adult also shows is the adult's
ADULT_AGE: Final = 16


class Claim(NamedTuple):
    """How one citizen's records show one mobile."""

    shown: int  # records showing it
    first: datetime  # the oldest of them (update time)
    last: datetime  # the newest of them
    adult: bool  # some of them made at 16 or older (or the age is unknown)


class PhoneCounts(NamedTuple):
    """One citizen's claims on mobiles, and how many of its records show any valid phone."""

    claims: dict[str, Claim]
    total: int
    homes: frozenset[str] = frozenset()  # the places its records give and the landlines they show


#: What `Claim(...)` and `PhoneCounts(...)` run, without the interpreted `__new__` a named tuple has.
_TUPLE_NEW: Final = tuple.__new__


def birth_date_of(versions: Sequence[Version]) -> date | None:
    """The citizen's birth date for the age rule: a checksum-valid resident ID's, else a typed one; among
    several, the smallest (a pure function of the set of versions)."""
    from_id: date | None = None
    typed: date | None = None
    for version in versions:
        person = version.mentions.person
        if person is None:
            continue
        rid = person.resident_id
        if rid is not None and rid.valid and rid.birth_date is not None:
            if from_id is None or rid.birth_date < from_id:
                from_id = rid.birth_date
        elif person.birth_date is not None and (typed is None or person.birth_date < typed):
            typed = person.birth_date
    return from_id or typed


def _adult_at(born: date | None, moment: datetime) -> bool:
    if born is None:
        return True
    # (month, day) compared as one number, without two tuples a record (a day is below 32)
    years = moment.year - born.year - (moment.month * 32 + moment.day < born.month * 32 + born.day)
    return years >= ADULT_AGE


def phone_counts(versions: Sequence[Version], sources: Mapping[str, int],
                 place_of: Callable[[str], str | None] = lambda text: None) -> PhoneCounts:
    """One citizen's claims on each mobile its records (of the ranked sources) show, how many show any
    phone, and its homes (the places of its records' addresses, `place_of` an address text's place,
    and the landlines they show)."""
    born = birth_date_of(versions)
    claims: dict[str, Claim] = {}
    homes: set[str] = set()
    total = 0
    for version in versions:
        if version.source not in sources:
            continue
        text = version.mentions.address_text
        if text:
            place = place_of(text)
            if place:
                homes.add(place)
        person = version.mentions.person
        phone = person.phone if person is not None else None
        if person is None or phone is None or not phone.valid:
            continue
        total += 1
        if phone.kind != "mobile":
            homes.add(phone.digits)
            continue
        moment = person.updated_at
        adult = _adult_at(born, moment)
        old = claims.get(phone.digits)
        if old is None:
            claims[phone.digits] = _TUPLE_NEW(Claim, (1, moment, moment, adult))
        else:
            claims[phone.digits] = _TUPLE_NEW(Claim, (old.shown + 1, min(old.first, moment), max(old.last, moment),
                                                      old.adult or adult))
    counts: PhoneCounts = _TUPLE_NEW(PhoneCounts, (claims, total, frozenset(homes)))
    return counts


def beats(theirs: Claim, their_total: int, mine: Claim, my_total: int, household: bool) -> bool:
    """Whether the other citizen's claim on a mobile makes it a contact number for me (the module's rules);
    `household`: the two share a place or a landline."""
    if theirs.adult != mine.adult:  # 1. age: a child's record gives an adult's number
        return theirs.adult
    if not household and (theirs.last < mine.first or mine.last < theirs.first):  # 2. time: recycled
        return False  # own for both
    # 3. share by the rule of succession, theirs > mine, without division
    return (theirs.shown + 1) * (my_total + 2) > (mine.shown + 1) * (their_total + 2)


class PhoneBook:
    """Per citizen, the mobiles its records show; per mobile, the citizens showing it."""

    def __init__(self) -> None:
        self.counts: dict[str, PhoneCounts] = {}
        self.holders: dict[str, set[str]] = defaultdict(set)

    def put(self, citizen_id: str, counts: PhoneCounts) -> set[str]:
        """Set one citizen's counts; return the numbers whose holders or claims changed (old and new)."""
        changed = self.drop(citizen_id)
        if counts.claims:
            self.counts[citizen_id] = counts
            for number in counts.claims:
                self.holders[number].add(citizen_id)
                changed.add(number)
        return changed

    def drop(self, citizen_id: str) -> set[str]:
        """Forget a citizen (a retired cluster); return the numbers it showed."""
        old = self.counts.pop(citizen_id, None)
        if old is None:
            return set()
        for number in old.claims:
            holders = self.holders[number]
            holders.discard(citizen_id)
            if not holders:
                del self.holders[number]
        return set(old.claims)

    def touched(self, numbers: set[str]) -> set[str]:
        """The citizens whose masters depend on these numbers: everyone showing one of them."""
        found: set[str] = set()
        for number in numbers:
            found |= self.holders.get(number, set())
        return found

    def contacts_of(self, citizen_id: str) -> frozenset[str]:
        """The mobiles this citizen shows that another citizen beats it to (`beats`), and the mobiles
        shown only on childhood records older than a childhood record showing such a number."""
        counts = self.counts.get(citizen_id)
        if counts is None:
            return frozenset()
        contacts = set()
        guardian_seen: datetime | None = None  # newest childhood record showing another's mobile
        for number, mine in counts.claims.items():
            holders = self.holders[number]
            if len(holders) < 2:
                continue
            for other in holders:
                if other == citizen_id:
                    continue
                theirs = self.counts[other]
                if beats(theirs.claims[number], theirs.total, mine, counts.total,
                         not theirs.homes.isdisjoint(counts.homes)):
                    contacts.add(number)
                    if not mine.adult and (guardian_seen is None or mine.last > guardian_seen):
                        guardian_seen = mine.last
                    break
        if guardian_seen is not None:
            contacts.update(earlier_guardian_numbers(counts.claims, guardian_seen))
        return frozenset(contacts)


def earlier_guardian_numbers(claims: Mapping[str, Claim], guardian_seen: datetime) -> list[str]:
    """The mobiles shown only on childhood records older than `guardian_seen`, the newest childhood record
    showing a guardian's number: the guardian's earlier numbers."""
    return [number for number, claim in claims.items() if not claim.adult and claim.last < guardian_seen]
