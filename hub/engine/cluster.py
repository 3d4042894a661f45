"""Constrained union-find: turn scored links into clusters the same way whatever the input order.

Edges are applied in a canonical order (decisive first, then score descending, then the two
refs), and an edge is skipped when it would put two different exclusive values (two different
checksum-valid resident IDs, two different valid credit codes) into one cluster. The result is
a pure function of the set of nodes and edges.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from operator import itemgetter
from typing import Final, NamedTuple


class Edge(NamedTuple):
    """A link between two refs; `a < b`. Sorting puts the strongest edge first (a named tuple: tuples
    sort in C, and a city makes hundreds of thousands of edges)."""

    neg_score: float
    a: str
    b: str
    reason: str = ""

    @property
    def score(self) -> float:
        return -self.neg_score

    @staticmethod
    def make(a: str, b: str, score: float, reason: str) -> Edge:
        lo, hi = (a, b) if a < b else (b, a)
        edge: Edge = _TUPLE_NEW(Edge, (-score, lo, hi, reason))
        return edge


class Clustering(NamedTuple):
    """Clusters of one component, and the edges that made them (for `hub explain`); one per
    component, so a named tuple: a frozen dataclass's generated __init__ stays interpreted."""

    clusters: list[list[str]]  # each sorted; clusters sorted by first member
    accepted: list[Edge]
    rejected: list[Edge]  # skipped because the constraint refused to join the two clusters


#: What `Edge(...)` and the other named tuples here run, without the interpreted `__new__` a named
#: tuple class has (a Python-level call per tuple from compiled code).
_TUPLE_NEW: Final = tuple.__new__


def single_value(a: frozenset[Hashable], b: frozenset[Hashable]) -> bool:
    """The default constraint: a cluster holds at most one distinct exclusive value."""
    return len(a | b) <= 1


def cluster_component(
    nodes: Iterable[str],
    edges: Collection[Edge],
    exclusive: Mapping[str, Hashable],
    can_join: Callable[[frozenset[Hashable], frozenset[Hashable]], bool] = single_value,
) -> Clustering:
    """Cluster `nodes` by `edges`; an edge is refused when `can_join` rejects the two clusters' values."""
    if not edges:  # most components are one record, or records without a single link
        alone: Clustering = _TUPLE_NEW(Clustering, ([[n] for n in sorted(set(nodes))], [], []))
        return alone
    parent: dict[str, str] = {n: n for n in nodes}
    owned: dict[str, frozenset[Hashable]] = {
        n: frozenset([exclusive[n]]) if n in exclusive else frozenset() for n in parent
    }

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    accepted: list[Edge] = []
    rejected: list[Edge] = []
    for edge in sorted(edges):
        ra, rb = find(edge.a), find(edge.b)
        if ra == rb:
            continue
        va, vb = owned[ra], owned[rb]
        if va and vb and not can_join(va, vb):
            rejected.append(edge)
            continue
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        parent[drop] = keep
        owned[keep] = va | vb
        accepted.append(edge)

    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    clusters = sorted((sorted(members) for members in groups.values()), key=itemgetter(0))  # disjoint
    found: Clustering = _TUPLE_NEW(Clustering, (clusters, accepted, rejected))
    return found
