"""Constrained union-find: turn scored links into clusters the same way whatever the input order.

Edges are applied in a canonical order (decisive first, then score descending, then the two
refs), and an edge is skipped when it would put two different exclusive values (two different
checksum-valid resident IDs, two different valid credit codes) into one cluster. The result is
a pure function of the set of nodes and edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """A link between two refs; `a < b`. Sorting puts the strongest edge first."""

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
        return Edge(-score, lo, hi, reason)


@dataclass(frozen=True, slots=True)
class Clustering:
    """Clusters of one component, and the edges that made them (for `hub explain`)."""

    clusters: list[list[str]]  # each sorted; clusters sorted by first member
    accepted: list[Edge]
    rejected: list[Edge]  # skipped because they would join two exclusive values


def cluster_component(
    nodes: Iterable[str],
    edges: Iterable[Edge],
    exclusive: Mapping[str, str],
) -> Clustering:
    """Cluster `nodes` by `edges`, never joining two nodes whose `exclusive` values differ."""
    parent: dict[str, str] = {n: n for n in nodes}
    owned: dict[str, str | None] = {n: exclusive.get(n) for n in parent}

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
        if va is not None and vb is not None and va != vb:
            rejected.append(edge)
            continue
        keep, drop = (ra, rb) if ra < rb else (rb, ra)
        parent[drop] = keep
        owned[keep] = va if va is not None else vb
        accepted.append(edge)

    groups: dict[str, list[str]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    clusters = sorted(sorted(members) for members in groups.values())
    return Clustering(clusters=clusters, accepted=accepted, rejected=rejected)
