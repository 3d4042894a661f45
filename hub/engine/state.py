"""The engine's state: the latest version of each source record, and the indexes that find candidates.

"Latest" is the greatest (update time, content hash), so ties break the same way everywhere and a
stale or duplicate version changes nothing (design: state is per source record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from hub.contract.records import DepartmentRecord
from hub.engine.blocking import person_keys
from hub.engine.mentions import MentionReader, OrgMention, RecordMentions, content_hash, mention_reader, record_ref
from hub.engine.organizations import organization_keys
from hub.engine.places import PlaceIndex
from hub.engine.standardise._text import shared
from hub.engine.standardise.addresses import ParsedAddress


class Version:
    """One version of a source record, with what the engine read from it (one per row).

    The record is kept as the tuple of its field values, in the model's field order, not as the
    pydantic model: the model's `__dict__` alone is a 400-650 byte hash table per row, a tenth of
    what `hub resolve` held per row. The engine reads the few values it needs by position
    (`source`, `record_id`, `updated_at`, `value`); `record` rebuilds the model (`model_construct`,
    no validation: the values were validated once) for the rare reader that needs all of it, such
    as the content hash that breaks a tie of update times, or the streaming driver's stored copy.

    `blocks` are the person blocks (lists of refs in `EngineState.person_blocks`) the latest version
    is filed in; empty for any other version. Holding the lists themselves spares a candidate
    lookup one dict probe per key, at a city's scale a cache miss each.

    A compiled class with a written constructor, not a named tuple: one is made per row.
    """

    def __init__(self, record: DepartmentRecord, mentions: RecordMentions, blocks: tuple[list[str], ...] = ()) -> None:
        model = type(record)
        self.model: type[DepartmentRecord] = model
        values = list(record.__dict__.values())  # model field order (validated models)
        for position in _shared_positions(model):  # a person's name, ID, phone and address recur per department
            value = values[position]
            if value is not None:
                values[position] = shared(value)
        self.values: tuple[Any, ...] = tuple(values)
        self.mentions = mentions
        self.blocks = blocks

    @property
    def source(self) -> str:
        source: str = self.values[0]
        return source

    @property
    def record_id(self) -> str:
        record_id: str = self.values[1]
        return record_id

    @property
    def updated_at(self) -> datetime:
        updated_at: datetime = self.values[2]
        return updated_at

    def value(self, name: str) -> Any:
        """A field of the record by name (None when the department's model has no such field)."""
        position = _positions(self.model).get(name)
        return None if position is None else self.values[position]

    @property
    def record(self) -> DepartmentRecord:
        """The pydantic record, rebuilt from the kept values (equal to, and dumping the same JSON as,
        the record that was read)."""
        return self.model.model_construct(**dict(zip(_names(self.model), self.values, strict=True)))


# Final: the compiled engine reads these tables as C statics, not through the module's dict
_FIELD_NAMES: Final[dict[type[DepartmentRecord], tuple[str, ...]]] = {}
_FIELD_POSITIONS: Final[dict[type[DepartmentRecord], dict[str, int]]] = {}


def _names(model: type[DepartmentRecord]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = tuple(model.model_fields)
    return names


#: Text fields whose values recur: in the records of one person's departments (name, ID, phone,
#: address, employer) or across the city (a few dozen ethnicities, doctors, streets): kept as one string.
_SHARED_FIELDS: Final = frozenset({
    "name", "id_number", "document_number", "phone", "address", "residence_address", "hukou_address",
    "legal_rep_name", "legal_rep_id_number", "employer_name", "employer_credit_code", "street", "community",
    "ethnicity", "family_doctor", "business_type", "registering_authority",
})
_SHARED_POSITIONS: Final[dict[type[DepartmentRecord], tuple[int, ...]]] = {}


def _shared_positions(model: type[DepartmentRecord]) -> tuple[int, ...]:
    positions = _SHARED_POSITIONS.get(model)
    if positions is None:
        positions = _SHARED_POSITIONS[model] = tuple(
            i for i, name in enumerate(_names(model)) if name in _SHARED_FIELDS)
    return positions


def _positions(model: type[DepartmentRecord]) -> dict[str, int]:
    """Each field's position in `Version.values` for records of `model`."""
    positions = _FIELD_POSITIONS.get(model)
    if positions is None:
        positions = _FIELD_POSITIONS[model] = {name: i for i, name in enumerate(_names(model))}
    return positions


def _newer(record: DepartmentRecord, than: Version) -> bool:
    """Whether `record` is a later version than `than` in the total order of versions: update time,
    then the content hash. The hash only breaks ties of update time, which are rare, and costs more
    than reading the row, so it is computed only then."""
    updated_at = than.updated_at
    if record.updated_at != updated_at:
        return record.updated_at > updated_at
    return content_hash(record) > content_hash(than.record)  # rare: hash the tie


class Upsert:
    """What one incoming row changed: whether it became the latest version, and what it touched.

    A compiled class, not a named tuple: one is made per row, and a named tuple's `__new__` is
    interpreted code."""

    def __init__(self, ref: str, became_latest: bool, old: Version | None, new: Version) -> None:
        self.ref = ref
        self.became_latest = became_latest
        self.old = old
        self.new = new


@dataclass
class EngineState:
    """All records and indexes; kept in memory by `hub resolve`, rebuilt from Redis by the processors."""

    city_code: str
    latest: dict[str, Version] = field(default_factory=dict)
    # blocking key -> refs (most hold 1-4); an emptied list stays, as versions may still hold it
    person_blocks: dict[str, list[str]] = field(default_factory=dict)
    places: PlaceIndex = field(default_factory=PlaceIndex)
    organizations: dict[str, OrgMention] = field(default_factory=dict)  # org key -> mention
    # which latest records cite a text / an organization: only the incremental driver asks, so they
    # are built on first use (never by `hub resolve`) and maintained from then on
    _cited: _Citations | None = None
    touched_place_blocks: set[str] = field(default_factory=set)  # drained by the incremental driver
    organization_blocks: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _reader: MentionReader | None = None  # the city's, taken on first use

    @property
    def refs_by_address(self) -> dict[str, set[str]]:
        return self._citations().by_address

    @property
    def refs_by_organization(self) -> dict[str, set[str]]:
        return self._citations().by_organization

    def _citations(self) -> _Citations:
        if self._cited is None:
            self._cited = _Citations()
            for ref, version in self.latest.items():
                self._cited.cite(ref, version)
        return self._cited

    @property
    def addresses(self) -> dict[str, ParsedAddress]:
        """Every address text seen (any version), in arrival order → its parse."""
        return self.places.mentions

    def add_address(self, text: str, parsed: ParsedAddress) -> bool:
        """Remember an address text (from any version); True when it is new."""
        return self.places.add(text, parsed, self.touched_place_blocks)

    def add_organization(self, org: OrgMention) -> bool:
        """Remember an organization mention (from any version); True when it is new."""
        org_key = org.key  # a property that formats the key and looks it up in the shared texts: once
        if org_key in self.organizations:
            return False
        self.organizations[org_key] = org
        for key in organization_keys(org):
            self.organization_blocks[key].add(org_key)
        return True

    def organization_closure(self, keys: set[str]) -> set[str]:
        return _closure(keys, self.organizations, organization_keys, self.organization_blocks)

    def read(self, record: DepartmentRecord) -> Version:
        return Version(record, self._mentions(record))

    def _mentions(self, record: DepartmentRecord) -> RecordMentions:
        reader = self._reader
        if reader is None:
            reader = self._reader = mention_reader(self.city_code)
        return reader.read(record)

    def upsert(self, record: DepartmentRecord) -> Upsert:
        """Take one row; every version's address and organization are kept, the person only if latest."""
        mentions = self._mentions(record)
        # the person mention's ref is the same text: one string per row, not two
        ref = mentions.person.ref if mentions.person is not None else record_ref(record.source, record.record_id)
        if mentions.address_text is not None and mentions.address is not None:
            self.add_address(mentions.address_text, mentions.address)
        if mentions.organization is not None:
            self.add_organization(mentions.organization)
        old = self.latest.get(ref)
        if old is not None and not _newer(record, old):
            return Upsert(ref, False, old, Version(record, mentions))
        if old is not None:
            for block in old.blocks:
                block.remove(ref)
        person = mentions.person
        blocks = self._file_person(ref, person_keys(person)) if person is not None else ()
        version = Version(record, mentions, blocks)
        self.latest[ref] = version
        if self._cited is not None:
            if old is not None:
                self._cited.uncite(ref, old)
            self._cited.cite(ref, version)
        return Upsert(ref, True, old, version)

    def _file_person(self, ref: str, keys: tuple[str, ...]) -> tuple[list[str], ...]:
        blocks = self.person_blocks
        filed: list[list[str]] = []
        for key in keys:
            block = blocks.get(key)
            if block is None:
                block = blocks[key] = []
            block.append(ref)
            filed.append(block)
        return tuple(filed)

    def person_candidates(self, ref: str, version: Version | None = None) -> set[str]:
        """Refs sharing at least one block with `ref` (excluding itself); `version` is its latest, if at hand."""
        found: set[str] = set()
        if version is None:
            version = self.latest.get(ref)
        if version is not None:
            for block in version.blocks:
                found.update(block)
        found.discard(ref)
        return found


@dataclass(slots=True)
class _Citations:
    """Reverse indexes: the latest records citing each address text and each organization mention."""

    by_address: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_organization: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def cite(self, ref: str, version: Version) -> None:
        for refs in self._citing(version):
            refs.add(ref)

    def uncite(self, ref: str, version: Version) -> None:
        for refs in self._citing(version):
            refs.discard(ref)

    def _citing(self, version: Version) -> list[set[str]]:
        """The sets of refs citing what `version` mentions: its address text and its organization."""
        mentions = version.mentions
        found: list[set[str]] = []
        if mentions.address_text is not None:
            found.append(self.by_address[mentions.address_text])
        if mentions.organization is not None:
            found.append(self.by_organization[mentions.organization.key])
        return found


T = TypeVar("T")


def _closure(
    seeds: set[str],
    items: Mapping[str, T],
    keys_of: Callable[[T], Iterable[str]],
    blocks: Mapping[str, set[str]],
) -> set[str]:
    reached = {s for s in seeds if s in items}
    stack = list(reached)
    while stack:
        item = stack.pop()
        for key in keys_of(items[item]):
            for other in blocks.get(key, ()):
                if other not in reached:
                    reached.add(other)
                    stack.append(other)
    return reached
