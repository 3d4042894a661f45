"""What explains a master citizen: its records, the links that joined them (rule or score), the
links refused, and where each field's value came from.

`index_entry` is the compact form `hub resolve` keeps for every citizen (the explain index);
`expand` turns it into what `hub explain` prints. Compiled with the engine: the index is written
for every citizen of the city.
"""

from __future__ import annotations

from typing import Any

from hub.engine.resolver import Resolution


def index_entry(resolution: Resolution, citizen_id: str) -> dict[str, Any]:
    """The explanation of one citizen as the explain index keeps it.

    Compact, as the index holds one per citizen: links as (a, b, reason), and the provenance of the
    fields by origin (a master's dozen fields come from two or three record versions). Update times
    stay datetimes: orjson writes them in ISO 8601 natively. A component of one citizen (nearly
    all) has only that citizen's links, so only larger ones are narrowed here; `expand` filters.
    """
    master = resolution.masters[citizen_id]
    component = resolution.component_of[citizen_id]
    accepted, rejected = component.clustering.accepted, component.clustering.rejected
    if len(component.clusters) > 1:
        members = set(master.records)
        accepted = [e for e in accepted if e.a in members and e.b in members]
        rejected = [e for e in rejected if e.a in members or e.b in members]
    return {
        "citizen_id": citizen_id,
        "records": master.records,
        "links": [(e.a, e.b, e.reason) for e in accepted],
        "refused_links": [(e.a, e.b, e.reason) for e in rejected],
        "fields": master.origins(),
    }


def expand(entry: dict[str, Any]) -> dict[str, Any]:
    """The explanation an index entry stands for: the links among its members, those refused, and
    the provenance of each field, by field name."""
    if isinstance(entry["fields"], dict):
        return entry  # an index written before the compact form
    members = set(entry["records"])
    fields: dict[str, dict[str, Any]] = {}
    for source, record_id, updated_at, names in entry["fields"]:
        for name in names:
            fields[name] = {"source": source, "record_id": record_id, "updated_at": updated_at}
    return {
        "citizen_id": entry["citizen_id"],
        "records": sorted(members),
        "links": [
            {"a": a, "b": b, "reason": reason}
            for a, b, reason in entry["links"] if a in members and b in members
        ],
        "refused_links": [
            {"a": a, "b": b, "reason": reason + " — refused: would join two different resident IDs"}
            for a, b, reason in entry["refused_links"] if a in members or b in members
        ],
        "fields": dict(sorted(fields.items())),
    }
