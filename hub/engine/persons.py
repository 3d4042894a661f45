"""Person resolution: link components over the candidate graph, then constrained clustering.

A link component is found by walking links (pairs whose comparison reaches the threshold) from
seed refs. Clustering a component is a pure function of its records, so recomputing only the
components a change touches gives the same clusters as resolving everything from scratch.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Final, NamedTuple, cast

from rapidfuzz.distance import OSA

from hub.engine.cluster import Clustering, Edge, cluster_component
from hub.engine.compare import compare_persons, ids_close
from hub.engine.identifiers import citizen_id
from hub.engine.policy import MatchPolicy
from hub.engine.state import EngineState


class PersonCluster(NamedTuple):
    """One resolved citizen: its id and member refs (named tuples: one per citizen, built fast)."""

    citizen_id: str
    refs: tuple[str, ...]
    resident_id: str | None


class ComponentResult(NamedTuple):
    """A link component's citizens, and its links (`clustering`: only what `hub explain` reads, the
    accepted and refused edges; its members are in `clusters`). One per citizen or so, kept for the
    whole run: a set of its refs and a second list per cluster were 20 % of the resolution's memory."""

    clusters: tuple[PersonCluster, ...]
    clustering: Clustering


#: What `PersonCluster(...)` and the other named tuples here run, without a named tuple's interpreted `__new__`.
_TUPLE_NEW: Final = tuple.__new__

#: The links of a component without any (most): one shared value; nothing mutates a clustering.
_NO_LINKS: Final = Clustering([], [], [])


def find_component(state: EngineState, seeds: Iterable[str], policy: MatchPolicy) -> tuple[set[str], list[Edge]]:
    """Walk links from `seeds`; return the reached refs and every link among them."""
    latest = state.latest
    reached: set[str] = set()
    processed: set[str] = set()
    edges: list[Edge] = []
    stack = sorted(s for s in set(seeds) if s in latest and latest[s].mentions.person is not None)
    reached.update(stack)
    threshold = policy.threshold
    while stack:
        ref = stack.pop()
        version = latest[ref]
        mention = version.mentions.person
        assert mention is not None
        for other in state.person_candidates(ref, version):
            if other in processed:
                continue  # that pair was compared when `other` was processed (candidates are symmetric)
            other_mention = latest[other].mentions.person
            if other_mention is None:
                continue
            comparison = compare_persons(mention, other_mention, policy)
            score = comparison.score
            if score < threshold:
                continue
            edges.append(Edge.make(ref, other, score, comparison.reason))
            if other not in reached:
                reached.add(other)
                stack.append(other)
        processed.add(ref)
    return reached, edges


def ids_consistent(a: frozenset[Hashable], b: frozenset[Hashable]) -> bool:
    """Whether two clusters' resident IDs can belong to one person.

    Values are (ID, valid) pairs. At most one valid ID; every invalid ID within one typo of it;
    without a valid ID, invalid IDs at most two typos apart (two typos of the same real ID). This
    stops a chain of typo'd IDs from joining two people whose IDs differ.
    """
    ids = cast(frozenset[tuple[str, bool]], a | b)
    if len(ids) == 1:
        return True  # the common case: both sides carry the same ID
    valid = {value for value, ok in ids if ok}
    if len(valid) > 1:
        return False
    if valid:
        (anchor,) = valid
        return all(ok or ids_close(value, anchor, False, True) for value, ok in ids)
    values = sorted(value for value, _ in ids)
    return all(OSA.distance(x, y) <= 2 for i, x in enumerate(values) for y in values[i + 1 :])


def cluster_persons(state: EngineState, refs: set[str], edges: list[Edge], secret: bytes) -> ComponentResult:
    """Constrained clustering of one link component and the citizen id of each cluster."""
    labels: dict[str, tuple[str, bool]] = {}
    for ref in refs:
        person = state.latest[ref].mentions.person
        if person is not None and person.resident_id is not None:
            labels[ref] = (person.resident_id.value, person.resident_id.valid)
    clustering = cluster_component(refs, edges, labels, ids_consistent)
    clusters = []
    for members in clustering.clusters:
        valid = next((labels[m][0] for m in members if m in labels and labels[m][1]), None)
        identifier = citizen_id(secret, valid, members[0])
        cluster: PersonCluster = _TUPLE_NEW(PersonCluster, (identifier, tuple(members), valid))
        clusters.append(cluster)
    links: Clustering = (_TUPLE_NEW(Clustering, ([], clustering.accepted, clustering.rejected))
                         if clustering.accepted or clustering.rejected else _NO_LINKS)
    result: ComponentResult = _TUPLE_NEW(ComponentResult, (tuple(clusters), links))
    return result


def resolve_all_persons(state: EngineState, policy: MatchPolicy, secret: bytes) -> list[ComponentResult]:
    """Batch: every component of the current state, in a deterministic order."""
    done: set[str] = set()
    results: list[ComponentResult] = []
    for ref in sorted(state.latest):
        if ref in done or state.latest[ref].mentions.person is None:
            continue
        refs, edges = find_component(state, [ref], policy)
        done |= refs
        results.append(cluster_persons(state, refs, edges, secret))
    return results
