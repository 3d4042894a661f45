"""The schema catalogue: which schema files serve which topic, and every past version of each.

`schemas/<stem>/v<N>.avsc` holds version N of one schema, self-contained (named types inlined),
exactly as it is registered; files are never edited once committed, a change is a new version.
Subjects follow the topic-name strategy (`<topic>-value`, `<topic>-key`), so one stem can serve
several subjects (the five dead-letter topics share `dead_letter`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from hub import REPO_ROOT
from hub.contract.errors import SettingsError
from hub.contract.sources import SOURCES
from hub.settings import HubSettings

SCHEMA_DIR = REPO_ROOT / "schemas"
_VERSION_FILE = re.compile(r"^v(\d+)\.avsc$")

#: Stem of the schema that is only a reference (the dept.* value schemas inline its fields).
ENVELOPE_STEM = "envelope"
KEY_STEM = "record_key"


class TopicKind(StrEnum):
    """What a topic carries; `hub topics ensure` derives partitions, retention and compaction from it."""

    DEPARTMENT = "department"
    DEAD_LETTER = "dead_letter"
    MASTER = "master"
    LIFECYCLE = "lifecycle"
    CONFLICTS = "conflicts"
    AUDIT = "audit"
    FEEDBACK = "feedback"
    CREDENTIALS = "credentials"


class Compatibility(StrEnum):
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"


#: Events are read by processors that are upgraded first, and replays read old data: new readers
#: must read every old version. Master records are read by many consumers (service window, Redis
#: loader) upgraded independently, so both directions must hold. Keys never change shape.
VALUE_COMPATIBILITY: dict[TopicKind, Compatibility] = {
    TopicKind.DEPARTMENT: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.DEAD_LETTER: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.MASTER: Compatibility.FULL,
    TopicKind.LIFECYCLE: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.CONFLICTS: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.AUDIT: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.FEEDBACK: Compatibility.BACKWARD_TRANSITIVE,
    TopicKind.CREDENTIALS: Compatibility.BACKWARD_TRANSITIVE,
}
KEY_COMPATIBILITY = Compatibility.FULL_TRANSITIVE


@dataclass(frozen=True)
class SchemaVersion:
    stem: str
    version: int
    path: Path

    def text(self) -> str:
        """The schema as stored, re-serialised compactly (what is sent to the registry)."""
        return json.dumps(self.parsed_json(), ensure_ascii=False, separators=(",", ":"))

    def parsed_json(self) -> Any:
        return _load_json(self.path)


@dataclass(frozen=True)
class SubjectSpec:
    subject: str
    topic: str
    role: str  # "key" or "value"
    stem: str
    compatibility: Compatibility

    def versions(self) -> list[SchemaVersion]:
        return versions(self.stem)

    def latest(self) -> SchemaVersion:
        return latest(self.stem)


@dataclass(frozen=True)
class TopicEntry:
    topic: str
    kind: TopicKind
    value_stem: str
    source: str | None = None

    def value_subject(self) -> SubjectSpec:
        return SubjectSpec(
            f"{self.topic}-value", self.topic, "value", self.value_stem, VALUE_COMPATIBILITY[self.kind]
        )

    def key_subject(self) -> SubjectSpec:
        return SubjectSpec(f"{self.topic}-key", self.topic, "key", KEY_STEM, KEY_COMPATIBILITY)


@cache
def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read schema file {path}: {exc}") from None


def versions(stem: str) -> list[SchemaVersion]:
    """Every stored version of a schema, oldest first; versions must be 1..N without gaps."""
    folder = SCHEMA_DIR / stem
    found: list[SchemaVersion] = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _VERSION_FILE.match(path.name)
            if match:
                found.append(SchemaVersion(stem, int(match.group(1)), path))
    found.sort(key=lambda v: v.version)
    if not found:
        raise SettingsError(f"no schema versions in {folder}")
    if [v.version for v in found] != list(range(1, len(found) + 1)):
        raise SettingsError(f"schema versions in {folder} must be v1..vN without gaps")
    return found


def latest(stem: str) -> SchemaVersion:
    return versions(stem)[-1]


def department_stem(source: str) -> str:
    return f"{source}_event"


def topics(settings: HubSettings) -> list[TopicEntry]:
    """Every topic the hub owns, in a stable order, with the schema of its values: the shared department and
    dead-letter topics, then each served city's own (`HubSettings.for_city`), the first city's first."""
    names = settings.topics
    entries = [TopicEntry(names.dept(s), TopicKind.DEPARTMENT, department_stem(s), s) for s in SOURCES]
    entries += [TopicEntry(names.dlq(s), TopicKind.DEAD_LETTER, "dead_letter", s) for s in SOURCES]
    for city in settings.served_cities:
        own = settings.for_city(city).topics
        entries += [
            TopicEntry(own.master_citizen, TopicKind.MASTER, "master_citizen"),
            TopicEntry(own.master_address, TopicKind.MASTER, "master_address"),
            TopicEntry(own.master_organization, TopicKind.MASTER, "master_organization"),
            TopicEntry(own.lifecycle, TopicKind.LIFECYCLE, "lifecycle_event"),
            TopicEntry(own.conflicts, TopicKind.CONFLICTS, "quality_conflict"),
            TopicEntry(own.audit, TopicKind.AUDIT, "audit_access"),
            TopicEntry(own.feedback, TopicKind.FEEDBACK, "quality_feedback"),
            TopicEntry(own.credentials, TopicKind.CREDENTIALS, "window_credential"),
        ]
    return entries


def topic_entry(settings: HubSettings, topic: str) -> TopicEntry:
    for entry in topics(settings):
        if entry.topic == topic:
            return entry
    raise SettingsError(f"topic {topic!r} is not in the schema catalogue")


def subjects(settings: HubSettings) -> list[SubjectSpec]:
    """Every subject to register: the value subject then the key subject of each topic."""
    return [s for e in topics(settings) for s in (e.value_subject(), e.key_subject())]


def stems() -> list[str]:
    """Every schema folder under schemas/ (including the reference-only envelope)."""
    return sorted(p.name for p in SCHEMA_DIR.iterdir() if p.is_dir())
