"""Topic plan from the declared policy, and a broker that is down failing fast (no services needed)."""

from __future__ import annotations

import socket
import time

import pytest

from hub.contract.errors import BrokerUnavailableError
from hub.settings import load_settings
from hub.wire.schema_catalog import TopicKind
from hub.wire.topics import FOREVER, ensure_topics, plan


def test_plan_has_every_topic_with_policy_partitions_and_retention() -> None:
    settings = load_settings()
    policy = settings.topic_policy
    by_name = {p.name: p for p in plan(settings)}
    assert len(by_name) == 18
    assert all(p.partitions == policy.partitions for p in by_name.values())
    assert by_name["dept.tax.v1"].config == {
        "cleanup.policy": "delete",
        "retention.ms": str(policy.department_retention_ms),
    }
    assert by_name["dlq.health.v1"].config["retention.ms"] == str(policy.dead_letter_retention_ms)
    assert by_name["audit.access.v1"].config["retention.ms"] == str(policy.audit_retention_ms)
    assert by_name["master.lifecycle.v1"].config["retention.ms"] == str(FOREVER)
    for name in ("master.citizen.v1", "master.address.v1", "master.organization.v1"):
        assert by_name[name].kind is TopicKind.MASTER
        assert by_name[name].config == {"cleanup.policy": "compact"}
    assert by_name["quality.feedback.v1"].config == {"cleanup.policy": "compact"}  # the latest status per report
    assert by_name["window.credentials.v1"].config == {"cleanup.policy": "compact"}  # the latest state per credential


def test_plan_follows_settings() -> None:
    settings = load_settings(topic_policy={"partitions": 12}, topics={"audit": "audit.reads.v2"})
    names = {p.name: p.partitions for p in plan(settings)}
    assert names["audit.reads.v2"] == 12 and "audit.access.v1" not in names


def test_broker_down_gives_broker_unavailable_quickly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = load_settings(kafka_bootstrap=f"127.0.0.1:{port}", request_timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailableError):
        ensure_topics(settings)
    assert time.monotonic() - started < 5
