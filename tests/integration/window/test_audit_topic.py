"""The audit chain on the real broker and registry: written in order, read back whole, verified, and
caught up from the spool after the broker was unreachable."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.settings import HubSettings
from hub.window.audit import AuditEvent, AuditLog, Spool, read_jsonl, verify_chain
from hub.window.audit_topic import KafkaAuditSink, read_audit_topic
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics


@pytest.fixture
def audit_settings(infra: HubSettings) -> HubSettings:
    """Its own audit topic (3 partitions), registered like `hub topics ensure` and `hub schemas register`."""
    tag = f"a{uuid.uuid4().hex[:8]}"
    topics = infra.topics.model_copy(update={"audit": f"{tag}.audit.access.v1",
                                             "feedback": f"{tag}.quality.feedback.v1"})
    settings = infra.model_copy(update={"topics": topics})
    ensure_topics(settings)
    sync_catalogue(SchemaRegistry.from_settings(settings), settings)
    return settings


def _event(n: int) -> AuditEvent:
    return AuditEvent(event_id=f"e{n}", request_id=f"r{n}", occurred_at=datetime(2026, 12, 7, 9, 0, n % 60, tzinfo=UTC),
                      city_code="330100", credential_id="cred-1", hall="上城区便民服务中心", purpose="养老服务",
                      case_id=f"SL-{n}", method="GET", path="/citizens", lookup="id_number",
                      query={"id_number": "330106********1234"}, citizens=[f"C-{n}"],
                      disclosed={f"C-{n}": {"name": "full", "id_number": "masked"}}, outcome="answered", status=200)


def test_events_reach_the_topic_in_chain_order_and_verify(audit_settings: HubSettings, tmp_path: Path) -> None:
    sink = KafkaAuditSink(audit_settings)
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), sink, chain="hall-a")
    other = AuditLog(Spool(tmp_path / "other.jsonl"), sink, chain="hall-b")

    async def run() -> None:
        await asyncio.gather(*(log.record(_event(i)) for i in range(30)), *(other.record(_event(i)) for i in range(5)))

    asyncio.run(run())
    sink.close()
    assert not (tmp_path / "spool.jsonl").exists(), "Kafka took everything"
    rows = list(read_audit_topic(audit_settings))
    report = verify_chain(rows)
    assert report.ok, report.problems
    assert report.chains == {"hall-a": 30, "hall-b": 5}
    assert [r["seq"] for r in rows if r["chain"] == "hall-a"] == list(range(30))
    assert {r["case_id"] for r in rows} >= {"SL-0", "SL-29"}
    assert "330106198503121234" not in str(rows)


def test_while_the_broker_is_unreachable_events_are_spooled_then_forwarded_in_order(
    audit_settings: HubSettings, tmp_path: Path
) -> None:
    unreachable = audit_settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1", "request_timeout_s": 1.0})
    window = unreachable.window.model_copy(update={"audit_timeout_s": 1.0})
    unreachable = unreachable.model_copy(update={"window": window})
    spool = Spool(tmp_path / "spool.jsonl")
    log = AuditLog(spool, KafkaAuditSink(unreachable), chain="hall-c", timeout_s=2.0, retry_s=0)

    async def run() -> None:
        for i in range(3):
            await log.record(_event(i))
        assert [r["seq"] for r in read_jsonl(spool.path)] == [0, 1, 2]
        log.sink = KafkaAuditSink(audit_settings)  # the broker is back
        await log.record(_event(3))

    asyncio.run(run())
    assert read_jsonl(spool.path) == []
    rows = list(read_audit_topic(audit_settings))
    assert [r["seq"] for r in rows] == [0, 1, 2, 3]
    assert verify_chain(rows).ok
    rows[1]["purpose"] = "医疗卫生"  # an entry altered after the fact
    assert not verify_chain(rows).ok


def test_a_counter_report_reaches_the_feedback_topic_keyed_by_its_id(audit_settings: HubSettings) -> None:
    from confluent_kafka import Consumer

    from hub.window.feedback_topic import KafkaFeedbackSink
    from hub.wire.serde import Deserializer

    report = {"report_id": "R-0123456789abcdef", "citizen_id": "C-1", "field": "phone", "owner": "hrss",
              "status": "submitted", "submitted_at": "2026-12-07T09:00:00Z", "resident_says": "新号码",
              "note": None, "hall": "上城区便民服务中心", "case_id": "SL-1"}
    asyncio.run(KafkaFeedbackSink(audit_settings).send(report))
    consumer = Consumer({"bootstrap.servers": audit_settings.kafka_bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([audit_settings.topics.feedback])
    try:
        found = None
        for _ in range(40):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None and message.key() == report["report_id"].encode():
                found = Deserializer(SchemaRegistry.from_settings(audit_settings))(message.value())
                break
    finally:
        consumer.close()
    assert found is not None
    assert (found["owner"], found["status"], found["field"], found["case_id"]) == ("hrss", "submitted", "phone", "SL-1")
