"""`hub infra` against the real services: status, idempotent `up`, registry data surviving a restart."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from hub.infra import stack
from hub.infra.apicurio import Registry
from hub.infra.config import load_infra_config
from hub.settings import HubSettings

pytestmark = pytest.mark.integration

HUB = str(Path(sys.executable).parent / "hub")
SCHEMA = {
    "type": "record",
    "name": "InfraProbe",
    "namespace": "hub.test",
    "fields": [{"name": "a", "type": "string"}],
}
AVRO_JSON = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def _hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HUB, *args], capture_output=True, text=True, timeout=300, check=False)


def test_status_json_reports_every_service_up(infra: HubSettings) -> None:
    done = _hub("infra", "status", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert set(status) == {"kafka", "registry", "redis"}
    assert all(s["up"] and s["pid"] for s in status.values()), status
    assert status["kafka"]["address"] == infra.kafka_bootstrap
    assert status["registry"]["address"] == infra.registry_url
    assert status["redis"]["address"] == infra.redis_url


def test_up_twice_is_harmless_and_fast(infra: HubSettings) -> None:
    before = {s.name: s.pid for s in stack.status(load_infra_config())}
    for _ in range(2):
        began = time.monotonic()
        done = _hub("infra", "up")
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("already running") == 3, done.stdout
        assert time.monotonic() - began < 10
    after = {s.name: s.pid for s in stack.status(load_infra_config())}
    assert after == before


def test_registry_keeps_schemas_across_its_restart(infra: HubSettings) -> None:
    subject = f"hub-infra-test-{uuid.uuid4().hex[:8]}-value"
    base = infra.registry_url
    body = {"schema": json.dumps(SCHEMA)}
    created = httpx.post(f"{base}/subjects/{subject}/versions", json=body, headers=AVRO_JSON, timeout=10)
    assert created.status_code == 200, created.text
    schema_id = created.json()["id"]

    cfg = load_infra_config()
    registry = Registry(cfg)
    assert registry.stop() is not None
    assert not registry.answers(timeout=1.0)
    results = {r.name: r.action for r in stack.up(cfg)}
    assert results == {"kafka": "running", "registry": "started", "redis": "running"}

    try:
        fetched = httpx.get(f"{base}/schemas/ids/{schema_id}", timeout=10)
        assert fetched.status_code == 200, fetched.text
        assert json.loads(fetched.json()["schema"]) == SCHEMA
        versions = httpx.get(f"{base}/subjects/{subject}/versions", timeout=10)
        assert versions.json() == [1]
    finally:
        httpx.delete(f"{base}/subjects/{subject}", timeout=10)
        httpx.delete(f"{base}/subjects/{subject}", params={"permanent": "true"}, timeout=10)
    assert subject not in httpx.get(f"{base}/subjects", timeout=10).json()


def test_registry_journal_is_never_expired(infra: HubSettings) -> None:
    """The registry's only copy of its data is this topic: time or size retention would lose schemas."""
    from confluent_kafka.admin import AdminClient, ConfigResource

    from hub.infra.apicurio import JOURNAL_TOPIC

    admin = AdminClient({"bootstrap.servers": infra.kafka_bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, JOURNAL_TOPIC)
    config = admin.describe_configs([resource])[resource].result(timeout=10)
    assert config["retention.ms"].value == "-1"
    assert config["retention.bytes"].value == "-1"
