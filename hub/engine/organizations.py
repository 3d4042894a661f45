"""Organization resolution: by unified social credit code, else by normalised name.

Two different checksum-valid credit codes never merge; a mention with a typo'd or missing code
joins the organization whose name key it shares.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from hub.engine.cluster import Edge, cluster_component
from hub.engine.identifiers import organization_id
from hub.engine.mentions import OrgMention


def organization_keys(org: OrgMention) -> list[str]:
    """Blocks of an organization mention: its credit code and its name key."""
    keys = []
    if org.credit_code:
        keys.append("c:" + org.credit_code)
    if org.name_key:
        keys.append("n:" + org.name_key)
    return keys


def resolve_organizations(mentions: Mapping[str, OrgMention]) -> dict[str, str]:
    """Map every organization mention key to its organization id."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in sorted(mentions):
        for block in organization_keys(mentions[key]):
            blocks[block].append(key)
    edges: list[Edge] = []
    for block, members in blocks.items():
        weight = 2.0 if block.startswith("c:") else 1.0
        edges.extend(Edge.make(members[0], other, weight, block[:1]) for other in members[1:])
    exclusive = {k: m.credit_code for k, m in mentions.items() if m.code_valid and m.credit_code}
    clustering = cluster_component(mentions.keys(), edges, exclusive)
    assignment: dict[str, str] = {}
    for members in clustering.clusters:
        code = next((exclusive[m] for m in members if m in exclusive), None)
        name_key = min((k for m in members if (k := mentions[m].name_key)), default=None)
        oid = organization_id(code, name_key if code is None else None)
        for member in members:
            assignment[member] = oid
    return assignment
