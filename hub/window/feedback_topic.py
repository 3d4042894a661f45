"""Counter reports to `quality.feedback.v1`, keyed by report id, for the department that owns the field.

The topic is compacted: a department answers by publishing the same report id with a new status,
so the latest state of every report is what the topic keeps and what data quality follows.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from confluent_kafka import Producer

from hub.settings import HubSettings
from hub.window.topic_writer import TopicWriter
from hub.wire.registry_client import SchemaRegistry

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
    """Publishes a report and returns once the broker acknowledged it (DeliveryError otherwise)."""

    def __init__(self, settings: HubSettings, *, producer: Producer | None = None,
                 registry: SchemaRegistry | None = None) -> None:
        self.city_code = settings.city_code
        self.writer = TopicWriter(settings, settings.topics.feedback, producer=producer, registry=registry)

    async def send(self, report: dict[str, Any]) -> None:
        record = (str(report["report_id"]).encode(), feedback_record(report, self.city_code))
        await asyncio.to_thread(self.writer.write, [record])
