"""Counter reports to `quality.feedback.v1`, keyed by report id, for the department that owns the field.

The topic is compacted: a department answers by publishing the same report id with a new status,
so the latest state of every report is what the topic keeps and what data quality follows.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from connectors.delivery import make_producer
from hub.contract.errors import DeliveryError, HubError
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs

__all__ = ["KafkaFeedbackSink", "feedback_record"]


def feedback_record(report: dict[str, Any], city_code: str) -> dict[str, Any]:
    """The Avro datum (schema `quality_feedback`) of a stored report."""
    submitted = datetime.fromisoformat(str(report["submitted_at"]).replace("Z", "+00:00"))
    return {
        "report_id": report["report_id"], "city_code": city_code, "citizen_id": report["citizen_id"],
        "field": report["field"], "owner": report["owner"], "status": report["status"],
        "resident_says": report.get("resident_says") or "", "note": report.get("note"),
        "hall": report.get("hall") or "", "case_id": report.get("case_id") or "",
        "submitted_at": submitted, "updated_at": submitted,
    }


class KafkaFeedbackSink:
    """Publishes a report and returns once the broker acknowledged it."""

    def __init__(self, settings: HubSettings, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None) -> None:
        self.settings = settings
        self.topic = settings.topics.feedback
        self._producer = producer
        self._registry = registry
        self._codecs: TopicCodecs | None = None
        self._lock = threading.Lock()

    async def send(self, report: dict[str, Any]) -> None:
        await asyncio.to_thread(self._send, report)

    def _send(self, report: dict[str, Any]) -> None:
        with self._lock:
            if self._producer is None:
                self._producer = make_producer(self.settings, **{"linger.ms": 2})
            if self._codecs is None:
                self._codecs = TopicCodecs(self.settings, self._registry or SchemaRegistry.from_settings(self.settings))
            producer, codecs = self._producer, self._codecs
        failures: list[KafkaError] = []
        try:
            value = codecs.serializer(self.topic)(feedback_record(report, self.settings.city_code))
            producer.produce(self.topic, key=str(report["report_id"]).encode(), value=value,
                             on_delivery=lambda error, _msg: failures.append(error) if error else None)
        except (KafkaException, BufferError, HubError) as exc:
            raise DeliveryError(f"feedback report not queued: {exc}") from exc
        if producer.flush(self.settings.window.audit_timeout_s) or failures:
            raise DeliveryError("Kafka did not acknowledge the feedback report")
