"""`hub topics ensure` against the real broker: the policy is applied, and a second run changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import ConfigResource

from hub.settings import HubSettings
from hub.wire.topics import admin_client, ensure_topics, existing_topics, plan

pytestmark = pytest.mark.integration


def test_ensure_is_idempotent_and_applies_the_policy(infra: HubSettings) -> None:
    ensure_topics(infra)
    second = ensure_topics(infra)
    assert [o.status for o in second] == ["exists"] * len(plan(infra))
    assert all(o.drift == [] for o in second), [o for o in second if o.drift]

    admin = admin_client(infra)
    present = existing_topics(admin, infra.request_timeout_s)
    for p in plan(infra):
        assert present[p.name] == infra.topic_policy.partitions
    resources = [ConfigResource(ConfigResource.Type.TOPIC, p.name) for p in plan(infra)]
    configs = {r.name: f.result(timeout=10) for r, f in admin.describe_configs(resources).items()}
    assert configs["master.citizen.v1"]["cleanup.policy"].value == "compact"
    assert configs["dept.hrss.v1"]["retention.ms"].value == str(infra.topic_policy.department_retention_ms)
    assert configs["audit.access.v1"]["retention.ms"].value == str(infra.topic_policy.audit_retention_ms)


def test_cli_second_run_reports_exists_and_exits_zero(infra: HubSettings) -> None:
    hub = str(Path(sys.executable).parent / "hub")
    subprocess.run([hub, "topics", "ensure"], check=True, capture_output=True, timeout=120)
    again = subprocess.run([hub, "topics", "ensure"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    lines = [
        line
        for line in again.stdout.splitlines()
        if line.startswith(("dept.", "dlq.", "master.", "quality.", "audit.", "window."))
    ]
    assert len(lines) == len(plan(infra))
    assert all("  exists " in line and "differs" not in line for line in lines)
    assert "0 created" in again.stdout
