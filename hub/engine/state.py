"""The engine's state: the latest version of each source record, and the indexes that find candidates.

"Latest" is the greatest (update time, content hash), so ties break the same way everywhere and a
stale or duplicate version changes nothing (design: state is per source record).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from connectors.records import DepartmentRecord
from hub.engine.blocking import person_keys
from hub.engine.mentions import OrgMention, RecordMentions, content_hash, extract_mentions, record_ref
from hub.engine.standardise.addresses import ParsedAddress


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a source record, with what the engine read from it."""

    record: DepartmentRecord
    mentions: RecordMentions
    order: tuple[datetime, str]  # (updated_at, content hash)


@dataclass(slots=True)
class Upsert:
    """What one incoming row changed: whether it became the latest version, and what it touched."""

    ref: str
    became_latest: bool
    old: Version | None
    new: Version


@dataclass
class EngineState:
    """All records and indexes; kept in memory by `hub resolve`, rebuilt from Redis by the processors."""

    city_code: str
    latest: dict[str, Version] = field(default_factory=dict)
    person_blocks: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_block_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    addresses: dict[str, ParsedAddress] = field(default_factory=dict)  # address text -> parsed
    organizations: dict[str, OrgMention] = field(default_factory=dict)  # org key -> mention

    def read(self, record: DepartmentRecord) -> Version:
        mentions = extract_mentions(record, self.city_code)
        return Version(record, mentions, (record.updated_at, content_hash(record)))

    def upsert(self, record: DepartmentRecord) -> Upsert:
        """Take one row; every version's address and organisation are kept, the person only if latest."""
        ref = record_ref(record.source, record.record_id)
        version = self.read(record)
        if version.mentions.address_text is not None and version.mentions.address is not None:
            self.addresses.setdefault(version.mentions.address_text, version.mentions.address)
        org = version.mentions.organization
        if org is not None:
            self.organizations.setdefault(org.key, org)
        old = self.latest.get(ref)
        if old is not None and old.order >= version.order:
            return Upsert(ref, False, old, version)
        self.latest[ref] = version
        self._reindex_person(ref, version)
        return Upsert(ref, True, old, version)

    def _reindex_person(self, ref: str, version: Version) -> None:
        for key in self.person_block_keys.pop(ref, ()):
            block = self.person_blocks.get(key)
            if block is not None:
                block.discard(ref)
                if not block:
                    del self.person_blocks[key]
        person = version.mentions.person
        if person is None:
            return
        keys = person_keys(person)
        self.person_block_keys[ref] = keys
        for key in keys:
            self.person_blocks[key].add(ref)

    def person_candidates(self, ref: str) -> set[str]:
        """Refs sharing at least one block with `ref` (excluding itself)."""
        found: set[str] = set()
        for key in self.person_block_keys.get(ref, ()):
            found |= self.person_blocks[key]
        found.discard(ref)
        return found
