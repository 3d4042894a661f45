"""Address resolution: address mentions (distinct texts) → places with stable ids.

Two mentions are one place when their known components agree and none conflict. A missing
district is compatible with a known one only when every mention sharing its place key names the
same district: otherwise the mention is ambiguous and stays a place of its own (design: never
guess). Every text ever seen is a mention, so the result is a function of the set of texts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from hub.engine.cluster import Edge, cluster_component
from hub.engine.identifiers import address_id
from hub.engine.standardise.addresses import ParsedAddress

_DETAIL = ("building", "unit", "room")


def place_keys(address: ParsedAddress) -> tuple[str, ...]:
    """Keys that any other mention of the same place shares with this one."""
    city = address.city or ""
    detail = "|".join(getattr(address, part) or "" for part in _DETAIL)
    keys = []
    if address.road and address.number:
        keys.append(f"rn:{city}|{address.road}|{address.number}|{detail}")
    if address.estate:
        keys.append(f"es:{city}|{address.estate}|{detail}")
    if not keys and address.community and address.number:
        keys.append(f"cm:{city}|{address.community}|{address.number}|{detail}")
    if not keys:
        keys.append(f"tx:{address.canonical}")
    return tuple(keys)


def _agree(a: ParsedAddress, b: ParsedAddress) -> bool:
    """Known components agree and none conflict."""
    for part in ("province", "city", "district", "road", "number", "estate", *_DETAIL):
        va, vb = getattr(a, part), getattr(b, part)
        if va and vb and va != vb:
            return False
    return True


def _specificity(address: ParsedAddress) -> tuple[int, str]:
    filled = sum(1 for part in ("district", "road", "number", "estate", *_DETAIL) if getattr(address, part))
    return (-filled, address.canonical)


def resolve_places(mentions: Mapping[str, ParsedAddress]) -> dict[str, str]:
    """Map every address text to its place id."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for text in sorted(mentions):
        for key in place_keys(mentions[text]):
            blocks[key].append(text)

    ambiguous: set[str] = set()
    for members in blocks.values():
        districts = {mentions[t].district for t in members if mentions[t].district}
        if len(districts) > 1:
            ambiguous.update(t for t in members if not mentions[t].district)

    edges: list[Edge] = []
    for members in blocks.values():
        for i, a in enumerate(members):
            pa = mentions[a]
            for b in members[i + 1 :]:
                pb = mentions[b]
                if (a in ambiguous and pb.district) or (b in ambiguous and pa.district):
                    continue
                if _agree(pa, pb):
                    edges.append(Edge.make(a, b, 1.0, "same place"))
    exclusive = {t: p.district for t, p in mentions.items() if p.district}
    clustering = cluster_component(mentions.keys(), edges, exclusive)
    assignment: dict[str, str] = {}
    for members in clustering.clusters:
        best = min((mentions[t] for t in members), key=_specificity)
        place = address_id(best.canonical)
        for text in members:
            assignment[text] = place
    return assignment


def texts_sharing_keys(mentions: Mapping[str, ParsedAddress], texts: Iterable[str]) -> set[str]:
    """The texts whose place could change when `texts` arrive (for incremental recomputation)."""
    wanted = {key for t in texts if t in mentions for key in place_keys(mentions[t])}
    return {t for t, p in mentions.items() if wanted.intersection(place_keys(p))}
