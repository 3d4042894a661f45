"""Person resolution: link components over the candidate graph, then constrained clustering.

A link component is found by walking links (pairs whose comparison reaches the threshold) from
seed refs. Clustering a component is a pure function of its records, so recomputing only the
components a change touches gives the same clusters as resolving everything from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.engine.cluster import Clustering, Edge, cluster_component
from hub.engine.compare import compare_persons
from hub.engine.identifiers import citizen_id
from hub.engine.policy import MatchPolicy
from hub.engine.state import EngineState


@dataclass(frozen=True, slots=True)
class PersonCluster:
    """One resolved citizen: its id, member refs and the clustering that produced it."""

    citizen_id: str
    refs: tuple[str, ...]
    resident_id: str | None


@dataclass(frozen=True, slots=True)
class ComponentResult:
    refs: frozenset[str]
    clusters: tuple[PersonCluster, ...]
    clustering: Clustering


def find_component(state: EngineState, seeds: Iterable[str], policy: MatchPolicy) -> tuple[set[str], list[Edge]]:
    """Walk links from `seeds`; return the reached refs and every link among them."""
    latest = state.latest
    reached: set[str] = set()
    processed: set[str] = set()
    edges: list[Edge] = []
    stack = sorted(s for s in set(seeds) if s in latest and latest[s].mentions.person is not None)
    reached.update(stack)
    while stack:
        ref = stack.pop()
        mention = latest[ref].mentions.person
        assert mention is not None
        for other in state.person_candidates(ref):
            if other in processed:
                continue  # that pair was compared when `other` was processed (candidates are symmetric)
            other_mention = latest[other].mentions.person
            if other_mention is None:
                continue
            comparison = compare_persons(mention, other_mention, policy)
            if comparison.score < policy.threshold:
                continue
            edges.append(Edge.make(ref, other, comparison.score, comparison.reason))
            if other not in reached:
                reached.add(other)
                stack.append(other)
        processed.add(ref)
    return reached, edges


def cluster_persons(state: EngineState, refs: set[str], edges: list[Edge], secret: bytes) -> ComponentResult:
    """Constrained clustering of one link component and the citizen id of each cluster."""
    exclusive: dict[str, str] = {}
    for ref in refs:
        person = state.latest[ref].mentions.person
        if person is not None and person.valid_id is not None:
            exclusive[ref] = person.valid_id
    clustering = cluster_component(refs, edges, exclusive)
    clusters = []
    for members in clustering.clusters:
        valid = next((exclusive[m] for m in members if m in exclusive), None)
        clusters.append(PersonCluster(citizen_id(secret, valid, members[0]), tuple(members), valid))
    return ComponentResult(frozenset(refs), tuple(clusters), clustering)


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
