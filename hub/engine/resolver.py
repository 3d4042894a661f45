"""The engine's front: feed department records, get clusters, places, organisations and masters.

Both drivers use this: `hub resolve` feeds every row of the files and resolves once; the
processors feed events and resolve the components each batch touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from connectors.records import DepartmentRecord
from hub.engine.organizations import resolve_organizations
from hub.engine.persons import ComponentResult, resolve_all_persons
from hub.engine.places import resolve_places
from hub.engine.policy import ResolutionPolicy, default_policy
from hub.engine.state import EngineState, Upsert
from hub.engine.survivorship import Conflict, MasterCitizen, build_master


@dataclass
class Resolution:
    """The resolved city: which master each record, address text and organisation mention belongs to."""

    citizen_of_ref: dict[str, str] = field(default_factory=dict)
    place_of_text: dict[str, str] = field(default_factory=dict)
    organization_of_key: dict[str, str] = field(default_factory=dict)
    masters: dict[str, MasterCitizen] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    components: list[ComponentResult] = field(default_factory=list)


class Resolver:
    """Holds the engine state for one city and resolves it with one policy."""

    def __init__(self, city_code: str, secret: bytes, policy: ResolutionPolicy | None = None) -> None:
        self.state = EngineState(city_code)
        self.policy = policy or default_policy()
        self.secret = secret

    def add(self, record: DepartmentRecord) -> Upsert:
        return self.state.upsert(record)

    def add_all(self, records: Iterable[DepartmentRecord]) -> None:
        for record in records:
            self.state.upsert(record)

    def resolve(self) -> Resolution:
        """Resolve everything from the current state (the batch driver)."""
        result = Resolution()
        result.place_of_text = resolve_places(self.state.addresses)
        result.organization_of_key = resolve_organizations(self.state.organizations)
        result.components = resolve_all_persons(self.state, self.policy.match, self.secret)
        for component in result.components:
            for cluster in component.clusters:
                versions = [self.state.latest[ref] for ref in cluster.refs]
                master, conflicts = build_master(
                    cluster.citizen_id,
                    versions,
                    self.policy.authority,
                    result.place_of_text.get,
                    result.organization_of_key.get,
                )
                result.masters[cluster.citizen_id] = master
                result.conflicts.extend(conflicts)
                for ref in cluster.refs:
                    result.citizen_of_ref[ref] = cluster.citizen_id
        return result
