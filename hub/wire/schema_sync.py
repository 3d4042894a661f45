"""Bring the registry in line with the catalogue: every stored version, in order, with compatibility set.

Versions are registered oldest first and the subject's compatibility level is set right after
its first version, so every later version is checked by the registry exactly as a real upgrade
would be. Re-running changes nothing (registration is a lookup first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.contract.errors import IncompatibleSchemaError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_catalog import SubjectSpec, subjects


@dataclass(frozen=True)
class VersionOutcome:
    version: int
    schema_id: int
    created: bool


@dataclass
class SubjectOutcome:
    subject: str
    compatibility: str
    compatibility_set: bool = False
    versions: list[VersionOutcome] = field(default_factory=list)


def sync_subject(
    registry: SchemaRegistry, spec: SubjectSpec, *, subject: str | None = None
) -> SubjectOutcome:
    """Register every version of one catalogue subject (optionally under another subject name)."""
    name = subject or spec.subject
    outcome = SubjectOutcome(name, spec.compatibility.value)
    for index, version in enumerate(spec.versions()):
        try:
            registration = registry.register(name, version.text())
        except IncompatibleSchemaError as exc:
            raise IncompatibleSchemaError(
                f"{name}: {version.stem}/v{version.version}.avsc is not {spec.compatibility.value} "
                f"compatible with the earlier versions ({exc})"
            ) from None
        outcome.versions.append(VersionOutcome(version.version, registration.schema_id, registration.created))
        if index == 0 and registry.compatibility(name) != spec.compatibility.value:
            registry.set_compatibility(name, spec.compatibility.value)
            outcome.compatibility_set = True
    return outcome


def sync_catalogue(
    registry: SchemaRegistry, settings: HubSettings, *, subject_prefix: str = ""
) -> list[SubjectOutcome]:
    """Register the whole catalogue; `subject_prefix` lets tests work in fresh subjects."""
    return [
        sync_subject(registry, spec, subject=subject_prefix + spec.subject) for spec in subjects(settings)
    ]
