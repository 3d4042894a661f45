"""The engine's front: feed department records, get clusters, places, organizations and masters.

Both drivers use this: `hub resolve` feeds every row of the files and resolves once; the
processors feed events and resolve the components each batch touches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.contract.records import DepartmentRecord
from hub.engine.lifecycle import LifecycleEvent, diff_clusters
from hub.engine.organizations import resolve_organizations
from hub.engine.persons import ComponentResult, cluster_persons, find_component, resolve_all_persons
from hub.engine.phonebook import PhoneBook, phone_counts
from hub.engine.policy import ResolutionPolicy, default_policy
from hub.engine.state import EngineState, Upsert
from hub.engine.survivorship import Conflict, MasterCitizen, build_master


@dataclass
class Changes:
    """What one `apply` changed: the outputs the streaming driver writes to Redis and the master topics."""

    masters: dict[str, MasterCitizen] = field(default_factory=dict)  # new or changed content
    redirects: dict[str, str] = field(default_factory=dict)  # retired id -> successor (tombstone + redirect)
    lifecycle: list[LifecycleEvent] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)  # address text -> place id, new or changed
    organizations: dict[str, str] = field(default_factory=dict)  # org key -> organization id, new or changed
    citizens: dict[str, str | None] = field(default_factory=dict)  # ref -> citizen id, new or changed
    applied: int = 0  # rows that became the latest version of their record


@dataclass
class Resolution:
    """The resolved city: which master each record, address text and organization mention belongs to."""

    citizen_of_ref: dict[str, str] = field(default_factory=dict)
    place_of_text: dict[str, str] = field(default_factory=dict)
    organization_of_key: dict[str, str] = field(default_factory=dict)
    masters: dict[str, MasterCitizen] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    components: list[ComponentResult] = field(default_factory=list)
    component_of: dict[str, ComponentResult] = field(default_factory=dict)  # citizen id -> its component
    phones: PhoneBook = field(default_factory=PhoneBook)  # which citizens show which mobiles


class Resolver:
    """Holds the engine state for one city and resolves it with one policy."""

    def __init__(self, city_code: str, secret: bytes, policy: ResolutionPolicy | None = None) -> None:
        self.state = EngineState(city_code)
        self.policy = policy or default_policy()
        self.secret = secret
        self.current = Resolution()

    def add(self, record: DepartmentRecord) -> Upsert:
        return self.state.upsert(record)

    def add_all(self, records: Iterable[DepartmentRecord]) -> None:
        for record in records:
            self.state.upsert(record)

    def resolve(self) -> Resolution:
        """Resolve everything from the current state (the batch driver), and remember it for `apply`."""
        result = Resolution()
        self.state.touched_place_blocks.clear()
        result.place_of_text = self.state.places.resolve()
        result.organization_of_key = resolve_organizations(self.state.organizations)
        result.components = resolve_all_persons(self.state, self.policy.match, self.secret)
        ranked = {source: i for i, source in enumerate(self.policy.authority.phone)}
        for component in result.components:  # who shows which number needs every final cluster first
            for cluster in component.clusters:
                versions = [self.state.latest[ref] for ref in cluster.refs]
                result.phones.put(cluster.citizen_id, phone_counts(versions, ranked, result.place_of_text.get))
        for component in result.components:
            for cluster in component.clusters:
                result.component_of[cluster.citizen_id] = component
                versions = [self.state.latest[ref] for ref in cluster.refs]
                master, conflicts = build_master(
                    cluster.citizen_id,
                    versions,
                    self.policy.authority,
                    result.place_of_text.get,
                    result.organization_of_key.get,
                    result.phones.contacts_of(cluster.citizen_id),
                )
                result.masters[cluster.citizen_id] = master
                result.conflicts.extend(conflicts)
                for ref in cluster.refs:
                    result.citizen_of_ref[ref] = cluster.citizen_id
        self.current = result
        return result

    def apply(self, records: Iterable[DepartmentRecord]) -> Changes:
        """Take a batch of rows and recompute only what they touch (the streaming driver).

        The touched person components, places and organizations are recomputed with the same
        functions `resolve` uses, so the state after any sequence of batches equals a batch
        resolution of the same rows.
        """
        changes = Changes()
        new_orgs: set[str] = set()
        seeds: set[str] = set()  # records whose latest version changed; unlinked candidates cannot change
        for record in records:
            upsert = self.state.upsert(record)
            org = upsert.new.mentions.organization
            if org is not None and org.key not in self.current.organization_of_key:
                new_orgs.add(org.key)
            if upsert.became_latest:
                changes.applied += 1
                seeds.add(upsert.ref)
        rebuild = self._apply_places(changes) | self._apply_organizations(new_orgs, changes)
        members, retired = self._recluster(seeds, changes)
        for ref in rebuild:  # a place or organization moved under these records
            cid = self.current.citizen_of_ref.get(ref)
            if cid is not None and cid not in members:
                members[cid] = self.current.masters[cid].records
        for cid in self._apply_phones(members, retired):  # a number's holders changed: its other holders too
            if cid not in members:
                members[cid] = self.current.masters[cid].records
        self._rebuild_masters(members, changes)
        return changes

    def _apply_places(self, changes: Changes) -> set[str]:
        """Recompute the place blocks new texts touched; return the records citing a moved text."""
        state, current = self.state, self.current
        moved: set[str] = set()
        if state.touched_place_blocks:
            blocks, state.touched_place_blocks = state.touched_place_blocks, set()
            for text, place in state.places.resolve(blocks).items():
                if current.place_of_text.get(text) != place:
                    current.place_of_text[text] = changes.places[text] = place
                    moved |= state.refs_by_address.get(text, set())
        return moved

    def _apply_organizations(self, new_orgs: set[str], changes: Changes) -> set[str]:
        """Recompute organizations connected to new mentions; return the records citing a moved one."""
        state, current = self.state, self.current
        moved: set[str] = set()
        if new_orgs:
            keys = state.organization_closure(new_orgs)
            for key, org_id in resolve_organizations({k: state.organizations[k] for k in keys}).items():
                if current.organization_of_key.get(key) != org_id:
                    current.organization_of_key[key] = changes.organizations[key] = org_id
                    moved |= state.refs_by_organization.get(key, set())
        return moved

    def _apply_phones(self, members: dict[str, tuple[str, ...]], retired: set[str]) -> set[str]:
        """Update the phone book for rebuilt and retired clusters; return every citizen showing a number
        whose holders or shares changed (their own-or-contact decision may have changed)."""
        book = self.current.phones
        ranked = {source: i for i, source in enumerate(self.policy.authority.phone)}
        numbers: set[str] = set()
        for cid in sorted(retired):
            numbers |= book.drop(cid)
        for cid in sorted(members):
            numbers |= book.put(cid, phone_counts([self.state.latest[r] for r in members[cid]], ranked,
                                                  self.current.place_of_text.get))
        return book.touched(numbers)

    def _recluster(self, seeds: set[str], changes: Changes) -> tuple[dict[str, tuple[str, ...]], set[str]]:
        """Re-cluster every component the seeds reach (with their former clusters); record lifecycle."""
        state, current = self.state, self.current
        members: dict[str, tuple[str, ...]] = {}
        old_of_ref: dict[str, str | None] = {}
        done: set[str] = set()
        pending = sorted(seeds)
        while pending:
            ref = pending.pop()
            if ref in done:
                continue
            refs, edges = find_component(state, [ref], self.policy.match)
            refs.add(ref)
            done |= refs
            people = {r for r in refs if r in state.latest and state.latest[r].mentions.person}
            for cluster in cluster_persons(state, people, edges, self.secret).clusters:
                members[cluster.citizen_id] = cluster.refs
            for r in refs:
                old = current.citizen_of_ref.get(r)
                old_of_ref[r] = old
                if old is not None and old in current.masters:
                    pending.extend(m for m in current.masters[old].records if m not in done)

        retired = {old for old in old_of_ref.values() if old is not None} - set(members)
        for old in retired:
            current.masters.pop(old, None)
        surviving = set(current.masters) | set(members)
        changes.lifecycle, changes.redirects = diff_clusters(old_of_ref, members, surviving)
        assignment = {ref: cid for cid, refs in members.items() for ref in refs}
        for ref, old in old_of_ref.items():
            new_id = assignment.get(ref)
            if new_id != old:
                changes.citizens[ref] = new_id
                if new_id is None:
                    current.citizen_of_ref.pop(ref, None)
            if new_id is not None:
                current.citizen_of_ref[ref] = new_id
        return members, retired

    def _rebuild_masters(self, members: dict[str, tuple[str, ...]], changes: Changes) -> None:
        current = self.current
        for cid in sorted(members):
            versions = [self.state.latest[r] for r in members[cid]]
            master, conflicts = build_master(cid, versions, self.policy.authority,
                                             current.place_of_text.get, current.organization_of_key.get,
                                             current.phones.contacts_of(cid))
            changes.conflicts.extend(conflicts)
            if current.masters.get(cid) != master:
                current.masters[cid] = changes.masters[cid] = master
