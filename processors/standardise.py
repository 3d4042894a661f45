"""Stage 1: department events in, validated records out (or a dead letter with the reason).

Runs in any number of workers (partitioned by record key); it holds no state, so how the
department partitions are spread over workers cannot change any result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.contract.errors import SchemaMismatchError, UndecodableEventError, UnknownSchemaIdError
from hub.contract.records import DepartmentRecord
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.settings import HubSettings
from hub.wire.avro_mapping import Operation
from hub.wire.serde import TopicCodecs, unframe
from processors.errors import PoisonEventError


class Standardiser:
    """Decodes a dept.<source>.v1 message into its record; raises PoisonEventError for a dead letter."""

    def __init__(self, settings: HubSettings, codecs: TopicCodecs,
                 on_event: Callable[[str, datetime, datetime], None] | None = None) -> None:
        self.settings = settings
        self.on_event = on_event  # ops measurement: (source, updated at, ingested at) of each good event
        self.codecs = codecs
        self.source_of_topic = {settings.topics.dept(s): s for s in SOURCES}
        self.served = settings.served_cities
        self._unknown_ids: set[int] = set()  # asked once; a flood of bad ids costs one registry call each

    def decode(self, topic: str, value: bytes | None) -> DepartmentRecord:
        return self.decode_routed(topic, value)[1]

    def decode_routed(self, topic: str, value: bytes | None) -> tuple[str, DepartmentRecord]:
        """(city code, record) of a good event; the city is one this hub serves."""
        try:
            schema_id, _ = unframe(value)
            if schema_id in self._unknown_ids:
                raise PoisonEventError(f"schema id {schema_id} is not known to the registry")
            _, event = self.codecs.decode_department_event(topic, value)
        except UnknownSchemaIdError as exc:
            self._unknown_ids.add(schema_id)
            raise PoisonEventError(str(exc)) from None
        except (UndecodableEventError, SchemaMismatchError) as exc:
            raise PoisonEventError(str(exc)) from None
        if event.source != self.source_of_topic.get(topic):
            raise PoisonEventError(f"event of {event.source} on the topic of another department",
                                   field="source", record_key=event.record_key)
        if event.operation is not Operation.UPSERT:
            raise PoisonEventError("DELETE events are not supported by the resolution engine yet",
                                   field="operation", record_key=event.record_key)
        if event.city_code not in self.served:
            raise PoisonEventError(f"event for city {event.city_code}, this hub serves {', '.join(self.served)}",
                                   field="city_code", record_key=event.record_key)
        if self.on_event is not None:
            self.on_event(event.source, event.source_updated_at, event.ingested_at)
        return event.city_code, event.record

    def record_key(self, topic: str, key: bytes | None) -> str | None:
        """The department record key from the message key, when it decodes."""
        try:
            value = self.codecs.deserializer(topic, "key")(key)
        except (UndecodableEventError, SchemaMismatchError):
            return None
        return value if isinstance(value, str) else None

    def dead_letter(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None,
                    error: PoisonEventError) -> tuple[str, bytes | None, bytes]:
        """(topic, key, value) of the dead letter: reason, raw bytes and the Kafka position."""
        source = self.source_of_topic[topic]
        dlq = self.settings.topics.dlq(source)
        datum: dict[str, Any] = {
            "source": source,
            "city_code": self.settings.city_code,
            "reason": error.reason,
            "field": error.field,
            "record_key": error.record_key or self.record_key(topic, key),
            "raw": bytes(value or b""),
            "origin": {"topic": topic, "partition": partition, "offset": offset},  # the KafkaOrigin branch
            "failed_at": datetime.now(CST),
        }
        return dlq, key, self.codecs.serializer(dlq, "value")(datum)
