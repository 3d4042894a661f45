"""The consumer groups the hub expects, from its settings: a group that vanished is reported, not missed.

Exporters list the groups the broker knows, so a group whose members all left disappears from their
output (kafka_exporter#226, kafka-lag-exporter#36). The hub knows which groups should be consuming what.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.contract.sources import SOURCES
from hub.settings import HubSettings


@dataclass(frozen=True, slots=True)
class ExpectedGroup:
    group: str
    topics: tuple[str, ...]


def expected_groups(settings: HubSettings) -> list[ExpectedGroup]:
    """The processors' group (faust's group id is its app id) and any group named in `ops.groups`."""
    p = settings.processors
    found = [ExpectedGroup(p.app_id, (*(settings.topics.dept(s) for s in SOURCES), p.resolve_topic))]
    for group, topics in sorted(settings.ops.groups.items()):
        if group != p.app_id:
            found.append(ExpectedGroup(group, tuple(topics)))
    return found
