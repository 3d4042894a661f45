"""Identity lifecycle: what happened to master ids when clusters were recomputed.

Ids never change meaning. An id that disappears in a merge redirects to the survivor; a part
that splits off gets a new id; downstream systems follow these events (master.lifecycle.v1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class LifecycleKind(StrEnum):
    CREATED = "CREATED"
    MERGED = "MERGED"
    SPLIT = "SPLIT"
    REDIRECTED = "REDIRECTED"


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    kind: LifecycleKind
    old_ids: tuple[str, ...]
    new_id: str
    reason: str
    moved_refs: tuple[str, ...]


def diff_clusters(
    old_of_ref: Mapping[str, str | None],
    new_clusters: Mapping[str, tuple[str, ...]],
    surviving_ids: set[str],
) -> tuple[list[LifecycleEvent], dict[str, str]]:
    """Events for recomputed clusters, and redirects (retired id → successor).

    `old_of_ref` holds the previous id of every ref in the recomputed clusters (None if new);
    `surviving_ids` are all ids that exist after the change (inside or outside the recomputation).
    """
    events: list[LifecycleEvent] = []
    successors: dict[str, Counter[str]] = {}
    for new_id in sorted(new_clusters):
        refs = new_clusters[new_id]
        previous = {old_of_ref.get(r) for r in refs} - {None}
        came_from = sorted(p for p in previous if p is not None and p != new_id)
        for old in came_from:
            moved = tuple(r for r in refs if old_of_ref.get(r) == old)
            successors.setdefault(old, Counter())[new_id] += len(moved)
        if not came_from:
            if new_id not in previous:
                events.append(LifecycleEvent(LifecycleKind.CREATED, (), new_id, "new records", refs))
            continue
        moved_refs = tuple(r for r in refs if old_of_ref.get(r) in came_from)
        retired = [old for old in came_from if old not in surviving_ids]
        still_there = [old for old in came_from if old in surviving_ids]
        if retired:
            kind = LifecycleKind.MERGED if (new_id in previous or len(retired) > 1) else LifecycleKind.REDIRECTED
            events.append(LifecycleEvent(kind, tuple(retired), new_id, "clusters joined by new links", moved_refs))
        if still_there:
            events.append(LifecycleEvent(LifecycleKind.SPLIT, tuple(still_there), new_id,
                                         "records no longer link to their former cluster", moved_refs))
    redirects = {
        old: min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for old, counts in successors.items()
        if old not in surviving_ids
    }
    return events, redirects
