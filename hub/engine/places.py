"""Address resolution: address mentions (distinct texts) → places with stable ids.

Two mentions are one place when they name the same site (an estate, or a road and number),
building and room, and no known component conflicts. A site written as an estate in one
mention and as a road number in another is tied by the mentions that write both, learned from
the whole set of texts (so the result stays a function of that set). A missing district or
unit is compatible with a known one only when every mention of that place key agrees on it;
otherwise the mention is ambiguous and stays apart (design: never guess).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping
from typing import cast

from hub.engine.cluster import Edge, cluster_component
from hub.engine.identifiers import address_id
from hub.engine.standardise.addresses import ParsedAddress

_OPTIONAL = ("district", "unit")  # may be omitted by a writer; a conflict only when both are known
_AGREE = ("province", "city", "district", "road", "number", "estate", "building", "unit", "room")


def closure_keys(address: ParsedAddress) -> tuple[str, ...]:
    """Coarse keys (the estate, the road number): every text whose place may change with this one's."""
    city = address.city or ""
    keys = []
    if address.estate:
        keys.append(f"E:{city}|{address.estate}")
    if address.road and address.number:
        keys.append(f"R:{city}|{address.road}|{address.number}")
    if not keys:
        keys.append(f"T:{_fallback(address)}")
    return tuple(keys)


def _fallback(address: ParsedAddress) -> str:
    parts = (address.community, address.road, address.number, address.building, address.room)
    return "|".join(p or "" for p in parts) if any(parts) else address.canonical


class _Sites:
    """Estate ↔ road-number ties seen in texts that write both, within one city."""

    def __init__(self, mentions: Mapping[str, ParsedAddress]) -> None:
        estates_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for address in mentions.values():
            if address.estate and address.road and address.number:
                estates_of[(address.city or "", address.road, address.number)].add(address.estate)
        self.estate_of = {rn: next(iter(e)) for rn, e in estates_of.items() if len(e) == 1}

    def site(self, address: ParsedAddress) -> str | None:
        city = address.city or ""
        if address.estate:
            return f"E:{city}|{address.estate}"
        if address.road and address.number:
            estate = self.estate_of.get((city, address.road, address.number))
            return f"E:{city}|{estate}" if estate else f"R:{city}|{address.road}|{address.number}"
        return None


def _link_key(address: ParsedAddress, sites: _Sites) -> str:
    site = sites.site(address)
    if site is None:
        return f"T:{_fallback(address)}"
    return f"{site}|{address.building or ''}|{address.room or ''}"


def _agree(a: ParsedAddress, b: ParsedAddress, sites: _Sites) -> bool:
    """Known components agree and none conflict (road/number/estate may differ when the site is tied)."""
    tied = sites.site(a) == sites.site(b)
    for part in _AGREE:
        if tied and part in ("road", "number", "estate"):
            continue
        va, vb = getattr(a, part), getattr(b, part)
        if va and vb and va != vb:
            return False
    return True


def resolve_places(mentions: Mapping[str, ParsedAddress]) -> dict[str, str]:
    """Map every address text to its place id."""
    sites = _Sites(mentions)
    blocks: dict[str, list[str]] = defaultdict(list)
    for text in sorted(mentions):
        blocks[_link_key(mentions[text], sites)].append(text)

    edges: list[Edge] = []
    for members in blocks.values():
        if len(members) < 2:
            continue
        ambiguous: dict[str, set[str]] = {}
        for part in _OPTIONAL:
            if len({getattr(mentions[t], part) for t in members} - {None}) > 1:
                ambiguous[part] = {t for t in members if not getattr(mentions[t], part)}
        for i, a in enumerate(members):
            pa = mentions[a]
            for b in members[i + 1 :]:
                pb = mentions[b]
                if any(
                    (a in lacking and getattr(pb, part)) or (b in lacking and getattr(pa, part))
                    for part, lacking in ambiguous.items()
                ):
                    continue
                if _agree(pa, pb, sites):
                    edges.append(Edge(-1.0, a, b, "same place"))
    exclusive = {t: (p.district, p.unit) for t, p in mentions.items() if p.district or p.unit}
    clustering = cluster_component(mentions.keys(), edges, exclusive, _no_conflict)
    assignment: dict[str, str] = {}
    for members in clustering.clusters:
        best = min((mentions[t] for t in members), key=_specificity)
        place = address_id(best.canonical)
        for text in members:
            assignment[text] = place
    return assignment


def _no_conflict(a: frozenset[Hashable], b: frozenset[Hashable]) -> bool:
    """A place has at most one district and one unit (missing values are wildcards)."""
    pairs = cast(frozenset[tuple[str | None, str | None]], a | b)
    districts = {district for district, _ in pairs if district}
    units = {unit for _, unit in pairs if unit}
    return len(districts) <= 1 and len(units) <= 1


def _specificity(address: ParsedAddress) -> tuple[int, str]:
    filled = sum(1 for part in ("district", "road", "number", "estate", "building", "unit", "room")
                 if getattr(address, part))
    return (-filled, address.canonical)
