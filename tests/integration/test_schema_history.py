"""Schema history against the real registry: every stored version registers in order under fresh subjects,
and the compatibility levels the catalogue sets make the registry refuse an incompatible change."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from hub.contract.errors import IncompatibleSchemaError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_catalog import latest, subjects
from hub.wire.schema_sync import sync_catalogue, sync_subject

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(infra: HubSettings) -> Iterator[SchemaRegistry]:
    with SchemaRegistry.from_settings(infra) as client:
        yield client


@pytest.fixture
def prefix(registry: SchemaRegistry) -> Iterator[str]:
    """A per-run subject prefix; the subjects are deleted afterwards when the registry allows it."""
    value = f"t{uuid.uuid4().hex[:8]}."
    yield value
    for subject in registry.subjects(prefix=value):
        registry.delete_subject(subject)


def test_all_versions_register_in_order_with_their_compatibility(
    infra: HubSettings, registry: SchemaRegistry, prefix: str
) -> None:
    outcomes = sync_catalogue(registry, infra, subject_prefix=prefix)
    specs = subjects(infra)
    assert [o.subject for o in outcomes] == [prefix + s.subject for s in specs]
    for outcome, spec in zip(outcomes, specs, strict=True):
        assert [v.version for v in outcome.versions] == [v.version for v in spec.versions()]
        assert all(v.created for v in outcome.versions), outcome
        assert registry.versions(outcome.subject) == list(range(1, len(spec.versions()) + 1))
        assert registry.compatibility(outcome.subject) == spec.compatibility.value

    again = sync_catalogue(registry, infra, subject_prefix=prefix)
    assert not any(v.created for o in again for v in o.versions)
    assert not any(o.compatibility_set for o in again)


def test_registry_refuses_removing_a_required_field_from_a_full_subject(
    infra: HubSettings, registry: SchemaRegistry, prefix: str
) -> None:
    spec = next(s for s in subjects(infra) if s.subject == "master.citizen.v1-value")
    subject = prefix + spec.subject
    sync_subject(registry, spec, subject=subject)
    assert registry.compatibility(subject) == "FULL"

    broken = json.loads(latest("master_citizen").text())
    broken["fields"] = [f for f in broken["fields"] if f["name"] != "city_code"]
    with pytest.raises(IncompatibleSchemaError):
        registry.register(subject, json.dumps(broken, ensure_ascii=False))
    assert registry.versions(subject) == [1]


def test_registry_refuses_a_new_required_field_but_accepts_an_optional_one(
    infra: HubSettings, registry: SchemaRegistry, prefix: str
) -> None:
    spec = next(s for s in subjects(infra) if s.subject == "dept.health.v1-value")
    subject = prefix + spec.subject
    sync_subject(registry, spec, subject=subject)
    assert registry.compatibility(subject) == "BACKWARD_TRANSITIVE"
    base = json.loads(latest("health_event").text())

    required = json.loads(json.dumps(base))
    required["fields"].append({"name": "batch_no", "type": "string"})
    with pytest.raises(IncompatibleSchemaError):
        registry.register(subject, json.dumps(required, ensure_ascii=False))

    optional = json.loads(json.dumps(base))
    optional["fields"].append({"name": "batch_no", "type": ["null", "string"], "default": None})
    accepted = registry.register(subject, json.dumps(optional, ensure_ascii=False))
    assert accepted.created
    assert registry.versions(subject) == [1, 2]
