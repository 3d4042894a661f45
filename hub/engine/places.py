"""Address resolution: address mentions (distinct texts) → places with stable ids.

Two mentions are one place when they name the same site (an estate, or a road and number),
building and room, and no known component conflicts. A site written as an estate in one
mention and as a road number in another is tied by the mentions that write both, learned from
the whole set of texts (so the result stays a function of that set). A missing district or
unit is compatible with a known one only when every mention of that place key agrees on it;
otherwise the mention is ambiguous and stays apart (design: never guess).

Village houses are numbered within the administrative village: the site of ``X村2组57号`` and of
``X村57号`` is the village and house number, and the group (组) is an optional qualifier like the
district and unit. Written without its group, a house joins the one group the village's texts show
at that number; when they show the number in two groups (a village that numbers per group), the
text without a group is ambiguous and stays apart. Both are decided on the whole block, so the
result does not depend on the order the texts arrive in.

Mentions are grouped into blocks by link key (site, building, room); a place never spans two
blocks, so recomputing only the blocks a new text touches gives the same places as resolving
everything (what the streaming driver relies on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from typing import Final, cast

from hub.engine.cluster import Edge, cluster_component
from hub.engine.identifiers import address_id
from hub.engine.standardise.addresses import ParsedAddress, village_group, village_house

_OPTIONAL: Final = ("district", "group", "unit")  # may be omitted by a writer; a conflict only when both are known

RoadNumber = tuple[str, str, str]  # (city, road, number)


def _road_number(address: ParsedAddress) -> RoadNumber | None:
    if address.road and address.number and not village_group(address):
        return (address.city or "", address.road, address.number)
    return None


def _fallback(address: ParsedAddress) -> str:
    parts = (address.community, address.road, address.number, address.building, address.room)
    return "|".join(p or "" for p in parts) if any(parts) else address.canonical


class PlaceIndex:
    """Address texts grouped by link key, with the estate ↔ road-number ties learned from them."""

    def __init__(self) -> None:
        self.mentions: dict[str, ParsedAddress] = {}
        self.estates_of: dict[RoadNumber, set[str]] = defaultdict(set)
        self.bare_texts_of: dict[RoadNumber, set[str]] = defaultdict(set)  # road-number texts without estate
        self.key_of: dict[str, str] = {}
        self.blocks: dict[str, set[str]] = defaultdict(set)

    def site(self, address: ParsedAddress) -> str | None:
        city = address.city or ""
        house = village_house(address)
        if house is not None:
            # houses are numbered within the village; the group is an optional qualifier (signature)
            return f"V:{city}|{house[0]}|{house[1]}||"
        if address.estate:
            return f"E:{city}|{address.estate}"
        rn = _road_number(address)
        if rn is not None:
            estates = self.estates_of.get(rn)
            if estates is not None and len(estates) == 1:
                return f"E:{city}|{next(iter(estates))}"
            return f"R:{city}|{rn[1]}|{rn[2]}"
        return None

    def link_key(self, address: ParsedAddress) -> str:
        site = self.site(address)
        if site is None:
            return f"T:{_fallback(address)}"
        if site[0] == "V":
            return site  # a village house: its site is the house
        return f"{site}|{address.building or ''}|{address.room or ''}"

    def add(self, text: str, address: ParsedAddress, touched: set[str]) -> bool:
        """Index a text; add to `touched` the link keys of every block whose places may have changed.
        False, and nothing done, when the text is known."""
        if text in self.mentions:
            return False
        self.mentions[text] = address
        rn = _road_number(address)
        if rn is not None and address.estate:
            estates = self.estates_of[rn]
            before = next(iter(estates)) if len(estates) == 1 else None
            estates.add(address.estate)
            after = next(iter(estates)) if len(estates) == 1 else None
            if before != after:  # the tie appeared, or became ambiguous: re-key the bare road-number texts
                for other in self.bare_texts_of.get(rn, ()):
                    self._place(other, touched)
        elif rn is not None:
            self.bare_texts_of[rn].add(text)
        self._place(text, touched)
        return True

    def _place(self, text: str, touched: set[str]) -> None:
        old = self.key_of.get(text)
        new = self.link_key(self.mentions[text])
        touched.add(new)
        if old == new:
            return
        if old is not None:
            self.blocks[old].discard(text)
            touched.add(old)
        self.blocks[new].add(text)
        self.key_of[text] = new

    def resolve(self, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Place ids of every text in the given blocks (all blocks when None).

        A place never spans two blocks, so each block is clustered on its own; most blocks hold
        one text, which is its own place.
        """
        chosen = self.blocks.keys() if keys is None else keys
        mentions, blocks = self.mentions, self.blocks
        assignment: dict[str, str] = {}
        for key in chosen:
            block = blocks.get(key)
            if not block:
                continue
            if len(block) == 1:
                (text,) = block
                assignment[text] = address_id(mentions[text].canonical)
                continue
            members = sorted(block)
            groups = self._signature_groups(members)
            if len(groups) == 1:  # every mention agrees on every component: one place, nothing to cluster
                self._name_place(members, assignment)
                continue
            exclusive = {t: (p.district, village_group(p), p.unit) for t in members
                         if (p := mentions[t]).district or p.unit or village_group(p)}
            clustering = cluster_component(members, _group_edges(groups), exclusive, _no_conflict)
            for cluster in clustering.clusters:
                self._name_place(cluster, assignment)
        return assignment

    def _name_place(self, texts: list[str], assignment: dict[str, str]) -> None:
        """Give every text of one place the id of its most specific mention: the most components
        filled, then the smallest canonical text (the first such mention on a tie)."""
        mentions = self.mentions
        best = mentions[texts[0]]
        best_filled = _filled(best)
        for text in texts[1:]:
            address = mentions[text]
            filled = _filled(address)
            if filled > best_filled or (filled == best_filled and address.canonical < best.canonical):
                best, best_filled = address, filled
        place = address_id(best.canonical)
        for text in texts:
            assignment[text] = place

    def _signature_groups(self, members: list[str]) -> dict[tuple[str | None, ...], list[str]]:
        """The mentions of one block by signature: the components that may still differ within it.

        Within a block the site, building and room already match. A mention without its district
        but with a road number takes the district the block's mentions at that road number agree
        on (same-name estates in two districts sit at different roads).
        """
        mentions = self.mentions
        districts_at: dict[tuple[str, str], set[str]] = defaultdict(set)
        for text in members:
            a = mentions[text]
            if a.district and a.road and a.number:
                districts_at[(a.road, a.number)].add(a.district)
        groups: dict[tuple[str | None, ...], list[str]] = defaultdict(list)
        for text in members:
            a = mentions[text]
            signature = _signature(a)
            if not a.district and a.road and a.number:
                known = districts_at.get((a.road, a.number), set())
                if len(known) == 1:
                    signature = (*signature[:2], next(iter(known)), *signature[3:])
            groups[signature].append(text)
        return groups


def _group_edges(groups: dict[tuple[str | None, ...], list[str]]) -> list[Edge]:
    """Edges joining the mentions of one block that are the same place.

    Mentions with one signature are chained; two signatures are joined once if they agree. After
    the ambiguity rule no component of this graph can hold a conflict, so the places are its
    connected components, whichever edges represent it.

    District and unit are ambiguous block-wide: a mention lacking one joins nothing that has it
    when the block holds two values. A village group is ambiguous per village: a mention without
    its group joins the groups written at its house number in the villages it may mean (same
    district and town, or one of them unknown) only when there is one such group; two mentions
    without a group join only when they may mean the same groups.
    """
    edges = [_edge(g[i], g[i + 1]) for g in groups.values() for i in range(len(g) - 1)]
    if len(groups) < 2:
        return edges
    lacking: dict[int, bool] = {}  # signature position -> members lacking it are ambiguous
    for position, part in enumerate(_SIGNATURE):
        if part in _OPTIONAL and position != _GROUP:
            lacking[position] = len({sig[position] for sig in groups} - {None}) > 1
    grouped = [sig for sig in groups if sig[_GROUP]]
    candidates: dict[tuple[str | None, ...], frozenset[str | None]] = {}
    for sig in groups:  # loops, not a generator in a comprehension: a compiled generator is an object a call
        if not sig[_GROUP]:
            found: set[str | None] = set()
            for g in grouped:
                if _same_village(sig, g):
                    found.add(g[_GROUP])
            candidates[sig] = frozenset(found)
    signatures = sorted(groups, key=lambda sig: groups[sig][0])
    for i, sa in enumerate(signatures):
        for sb in signatures[i + 1 :]:
            if _signatures_agree(sa, sb, lacking) and _groups_agree(sa, sb, candidates):
                edges.append(_edge(groups[sa][0], groups[sb][0]))
    return edges


#: What `Edge(...)` runs, without the interpreted `__new__` a named tuple class has.
_TUPLE_NEW: Final = tuple.__new__


def _edge(a: str, b: str) -> Edge:
    """A same-place edge between two mentions (`a` first in the group order)."""
    edge: Edge = _TUPLE_NEW(Edge, (-1.0, a, b, "same place"))
    return edge


def _same_village(a: tuple[str | None, ...], b: tuple[str | None, ...]) -> bool:
    """Whether two signatures may name one village: district and town agree where both are known."""
    da, db, sa, sb = a[_DISTRICT], b[_DISTRICT], a[_STREET], b[_STREET]
    return not (da and db and da != db) and not (sa and sb and sa != sb)


def _groups_agree(a: tuple[str | None, ...], b: tuple[str | None, ...],
                  candidates: Mapping[tuple[str | None, ...], frozenset[str | None]]) -> bool:
    """Village groups: two written ones were compared with the rest; a missing one is resolved by the
    groups its village shows at the number (at most one), two missing ones by the same candidates."""
    if a[_GROUP] and b[_GROUP]:
        return True
    if a[_GROUP]:
        return len(candidates[b]) <= 1
    if b[_GROUP]:
        return len(candidates[a]) <= 1
    return candidates[a] == candidates[b]


_SIGNATURE: Final = ("province", "city", "district", "street", "community", "group", "unit")
_DISTRICT, _STREET, _GROUP = 2, 3, 5  # their positions in a signature


def _signature(address: ParsedAddress) -> tuple[str | None, ...]:
    return (address.province, address.city, address.district, address.street, address.community,
            village_group(address), address.unit)


def _signatures_agree(a: tuple[str | None, ...], b: tuple[str | None, ...], ambiguous: Mapping[int, bool]) -> bool:
    for position in range(len(_SIGNATURE)):  # every signature has its parts (`_signature`)
        va, vb = a[position], b[position]
        if va and vb:
            if va != vb:
                return False
        elif (va or vb) and ambiguous.get(position, False):
            return False  # one lacks a component the block disagrees on: ambiguous, keep apart
    return True


def resolve_places(mentions: Mapping[str, ParsedAddress]) -> dict[str, str]:
    """Map every address text to its place id (batch)."""
    index = PlaceIndex()
    touched: set[str] = set()
    for text in sorted(mentions):
        index.add(text, mentions[text], touched)
    return index.resolve()


def _no_conflict(a: frozenset[Hashable], b: frozenset[Hashable]) -> bool:
    """A place has at most one district, one village group and one unit (missing values are wildcards)."""
    triples = cast(frozenset[tuple[str | None, str | None, str | None]], a | b)
    districts = {district for district, _, _ in triples if district}
    groups = {group for _, group, _ in triples if group}
    units = {unit for _, _, unit in triples if unit}
    return len(districts) <= 1 and len(groups) <= 1 and len(units) <= 1


def _filled(address: ParsedAddress) -> int:
    """How many of the components that tell places apart the mention names."""
    a = address
    return (bool(a.district) + bool(a.road) + bool(a.number) + bool(a.estate) + bool(a.building)
            + bool(a.unit) + bool(a.room))
