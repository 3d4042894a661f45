"""Pairwise comparison of person mentions: hard rules first, then a fixed-weight (Fellegi-Sunter) score.

Whether two mentions link is a pure function of the two mentions and the policy, never of what
else has been seen, so the link graph (and hence the clusters) cannot depend on arrival order.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from rapidfuzz.distance import OSA

from hub.engine.mentions import PersonMention
from hub.engine.policy import MatchPolicy
from hub.engine.standardise.addresses import ParsedAddress, same_village_house

DECISIVE: Final = math.inf
NEVER: Final = -math.inf


class Comparison(NamedTuple):
    """The score of a pair and the levels that made it: the link's reason, shown by `hub explain`
    (a named tuple: a city compares millions of pairs)."""

    score: float
    levels: tuple[str, ...]

    @property
    def reason(self) -> str:
        if self.score == DECISIVE:
            return "same valid resident ID"
        if self.score == NEVER:
            return "different valid resident IDs"
        return f"score {self.score:.1f}: " + ", ".join(self.levels)


#: What `Comparison(...)` runs, without the interpreted `__new__` a named tuple class has.
_TUPLE_NEW: Final = tuple.__new__


def _address_level(a: ParsedAddress, b: ParsedAddress) -> str | None:
    if a.district and b.district and a.district != b.district:
        return "address_different"
    same_street_number = bool(a.road and a.number and a.road == b.road and a.number == b.number) or (
        same_village_house(a, b))
    same_estate = bool(a.estate and a.estate == b.estate)
    if not (same_street_number or same_estate):
        if (a.road or a.estate) and (b.road or b.estate):
            same_flat = (a.building, a.unit or b.unit, a.room) == (b.building, b.unit or a.unit, b.room)
            if a.room and a.building and same_flat:
                return "address_detail_equal"  # one flat, its site spelled as estate in one, road in the other
            return "address_different"
        return None
    if a.building != b.building:
        return "address_different" if a.building and b.building else "address_building_equal"
    if a.unit == b.unit and a.room == b.room and (a.room or a.unit or a.building):
        return "address_room_equal"
    if (a.room and b.room and a.room != b.room) or (a.unit and b.unit and a.unit != b.unit):
        return "address_different"
    return "address_building_equal"


_ADDRESS_RANK: Final = {
    "address_room_equal": 0, "address_building_equal": 1, "address_detail_equal": 2, "address_different": 3,
}


def _best_address_level(a: PersonMention, b: PersonMention) -> str | None:
    """The best agreement between any address of one and any of the other (residence, hukou)."""
    found: list[str] = []
    for x in (a.address, a.other_address):
        for y in (b.address, b.other_address):
            if x is not None and y is not None:
                level = _address_level(x, y)
                if level is not None:
                    found.append(level)
    return min(found, key=_ADDRESS_RANK.__getitem__) if found else None


def _name_level(a: PersonMention, b: PersonMention) -> str | None:
    na, nb = a.name, b.name
    if na is None or nb is None:
        return None
    if na.key == nb.key:
        return "name_exact"
    if na.pinyin and na.pinyin == nb.pinyin:
        return "name_pinyin"
    if len(na.key) == len(nb.key) and sum(x != y for x, y in zip(na.key, nb.key, strict=True)) == 1:
        return "name_close"
    return "name_different"


def _birth_level(a: PersonMention, b: PersonMention) -> str | None:
    da, db = a.birth_date, b.birth_date
    if da is None or db is None:
        return None
    if da == db:
        return "birth_exact"
    differing = (da.year != db.year) + (da.month != db.month) + (da.day != db.day)
    if differing == 1 or (da.month == db.day and da.day == db.month and da.year == db.year):
        return "birth_close"
    return "birth_different"


def legacy_form(value: str) -> str:
    """The 15-digit form an 18-digit ID had before 1999 (no century, no check character)."""
    return value[:6] + value[8:17]


def ids_close(a: str, b: str, a_valid: bool, b_valid: bool) -> bool:
    """Equal, or one typo apart; a mistyped legacy number is compared with the legacy form of the other."""
    if a == b or OSA.distance(a, b) <= 1:
        return True
    if a_valid and len(b) < 18:
        return OSA.distance(legacy_form(a), b) <= 1
    if b_valid and len(a) < 18:
        return OSA.distance(legacy_form(b), a) <= 1
    return False


def compare_persons(a: PersonMention, b: PersonMention, policy: MatchPolicy) -> Comparison:
    """Score a pair of person mentions; DECISIVE and NEVER are the hard rules."""
    ida, idb = a.resident_id, b.resident_id
    levels: list[str] = []
    if ida is not None and idb is not None:
        if ida.valid and idb.valid:
            hard: Comparison = _TUPLE_NEW(Comparison, (DECISIVE if ida.value == idb.value else NEVER, ()))
            return hard
        if ids_close(ida.value, idb.value, ida.valid, idb.valid):
            levels.append("id_close")
        else:
            levels.append("id_different")
    if a.document is not None and b.document is not None:
        levels.append("document_equal" if a.document == b.document else "document_different")
    for level in (_name_level(a, b), _birth_level(a, b)):
        if level is not None:
            levels.append(level)
    if a.gender and b.gender:
        levels.append("gender_equal" if a.gender == b.gender else "gender_different")
    pa, pb = a.phone, b.phone
    if pa is not None and pb is not None and pa.valid and pb.valid:
        if pa.digits == pb.digits:
            levels.append("phone_mobile_equal" if pa.kind == "mobile" else "phone_landline_equal")
        else:
            levels.append("phone_different")
    level = _best_address_level(a, b)
    if level is not None:
        levels.append(level)

    weights = policy.weights
    score = sum(getattr(weights, level) for level in levels)
    # Same name and birth date alone never merge (namesakes): ask for one more agreeing identifier.
    corroborated = any(
        lv in ("id_close", "document_equal", "phone_mobile_equal", "phone_landline_equal",
               "address_room_equal", "address_building_equal", "address_detail_equal")
        for lv in levels
    )
    if not corroborated:
        score = min(score, policy.threshold - 1.0)
    # Names that differ in characters (张伟/张玮) link only with ID or document evidence: without it,
    # that is exactly what twins sharing a birth date, a phone and a flat look like.
    if ("name_pinyin" in levels or "name_close" in levels) and not (
        "id_close" in levels or "document_equal" in levels
    ):
        score = min(score, policy.threshold - 1.0)
    scored: Comparison = _TUPLE_NEW(Comparison, (score, tuple(levels)))
    return scored
