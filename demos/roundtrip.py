"""`hub demo`: the hub end to end in one command (first cut: topics, schemas, one event per department).

It ensures the topics, registers the schema catalogue, produces one plausible record per
department framed with the registry, reads exactly those messages back, decodes them and
checks each equals what was sent. The sample people are invented; ID numbers only carry a
valid check digit. The table shows names and record keys, never ID numbers or phones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from hub.contract.errors import BrokerUnavailableError, HubError
from hub.contract.records import (
    AssistanceType,
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    DocumentType,
    Gender,
    HealthRecord,
    HrssRecord,
    InsuranceStatus,
    MaritalStatus,
    RegistrationStatus,
    TaxRecord,
)
from hub.contract.timezone import CST
from hub.settings import HubSettings
from hub.wire.avro_mapping import DepartmentEvent, event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.serde import TopicCodecs
from hub.wire.topics import ensure_topics


def sample_records() -> list[DepartmentRecord]:
    """One plausible record per department (invented people; check digits valid)."""
    return [
        CivilAffairsRecord(
            record_id="MZ000123",
            name="陈晓明",
            gender=Gender.MALE,
            id_number="330106198503121234",
            birth_date=date(1985, 3, 12),
            ethnicity="汉族",
            marital_status=MaritalStatus.MARRIED,
            hukou_address="浙江省杭州市西湖区文三路90号",
            residence_address="杭州市西湖区文三路90号东部软件园1号楼2单元301室",
            phone="13912345678",
            street="文新街道",
            community="文三社区",
            assistance_type=AssistanceType.MINIMUM_LIVING,
            elderly_care=False,
            updated_at=datetime(2024, 5, 1, 9, 30, tzinfo=CST),
        ),
        HealthRecord(
            record_id="JK2024000456",
            name="王秀英",
            gender=Gender.FEMALE,
            document_type=DocumentType.RESIDENT_ID,
            document_number="330102195207084026",
            birth_date=date(1952, 7, 8),
            address="上城区清波街道河坊街12号",
            phone="0571-88886666",
            family_doctor="李医生",
            chronic_diseases=["高血压", "糖尿病"],
            updated_at=datetime(2024, 5, 2, 14, 5, 30, tzinfo=CST),
        ),
        HrssRecord(
            record_id="RS330100778899",
            name="张伟",
            id_number="330105199001153214",
            gender=Gender.MALE,
            birth_date=date(1990, 1, 15),
            insurance_status=InsuranceStatus.CONTRIBUTING,
            insurance_kinds=["养老", "医疗", "失业"],
            employer_name="杭州云栖科技有限公司",
            employer_credit_code="91330106MA2CFJ0K1B",
            address="拱墅区湖墅南路88号3幢1单元502室",
            phone="+86 138 0571 2233",
            social_security_card="A33010512345",
            updated_at=datetime(2024, 4, 28, 16, 40, tzinfo=CST),
        ),
        TaxRecord(
            record_id="TX3301060001234",
            name="刘芳",
            document_type=DocumentType.RESIDENT_ID,
            document_number="330106198811220048",
            phone="15867891234",
            address="西湖区古荡街道学院路77号",
            employer_name="杭州云栖科技有限公司",
            employer_credit_code="91330106MA2CFJ0K1B",
            tax_year=2023,
            tax_paid=Decimal("12345.67"),
            updated_at=datetime(2024, 3, 31, 8, 0, tzinfo=CST),
        ),
        CommerceRecord(
            record_id="91330106MA2CFJ0K1B",
            business_name="杭州云栖科技有限公司",
            business_type="有限责任公司",
            legal_rep_name="赵建国",
            legal_rep_id_number="330108197506305511",
            phone="0571-87654321",
            address="杭州市西湖区文三路90号东部软件园5号楼",
            established_date=date(2018, 6, 20),
            registration_status=RegistrationStatus.EXISTING,
            registering_authority="杭州市西湖区市场监督管理局",
            approval_date=date(2024, 1, 10),
            updated_at=datetime(2024, 1, 10, 0, 0, tzinfo=CST),
        ),
    ]


# -- Kafka clients with bounded timeouts -----------------------------------------------------


def producer(settings: HubSettings) -> Producer:
    timeout_ms = int(settings.request_timeout_s * 1000)
    conf: dict[str, Any] = {
        **settings.kafka_client_config(),
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": timeout_ms,
        "socket.timeout.ms": timeout_ms,
    }
    return Producer(conf)


def consumer(settings: HubSettings, group_id: str) -> Consumer:
    conf: dict[str, Any] = {
        **settings.kafka_client_config(),
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "socket.timeout.ms": int(settings.request_timeout_s * 1000),
    }
    return Consumer(conf)


@dataclass(frozen=True)
class Delivered:
    topic: str
    partition: int
    offset: int


def produce(settings: HubSettings, messages: Sequence[tuple[str, bytes, bytes]]) -> list[Delivered]:
    """Produce (topic, key, value) messages and wait for every acknowledgement, in order."""
    results: dict[int, Delivered | KafkaError] = {}

    def on_delivery(index: int) -> Callable[[KafkaError | None, Message], None]:
        def report(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                results[index] = err
            else:
                results[index] = Delivered(msg.topic() or "", msg.partition() or 0, msg.offset() or 0)

        return report

    client = producer(settings)
    for i, (topic, key, value) in enumerate(messages):
        while True:
            try:
                client.produce(topic, key=key, value=value, on_delivery=on_delivery(i))
                break
            except BufferError:  # the local queue is full (over 100,000 messages): let deliveries drain it
                client.poll(0.5)
    remaining = client.flush(settings.request_timeout_s + 1)
    if remaining or len(results) < len(messages):
        raise BrokerUnavailableError(
            f"Kafka did not acknowledge {len(messages) - len(results)} messages in time"
        )
    delivered: list[Delivered] = []
    for i in range(len(messages)):
        outcome = results[i]
        if isinstance(outcome, KafkaError):
            raise HubError(f"produce to {messages[i][0]} failed: {outcome.name()}")
        delivered.append(outcome)
    return delivered


def fetch(settings: HubSettings, positions: Sequence[Delivered]) -> list[Message]:
    """Read back exactly the messages at these positions (in the same order)."""
    client = consumer(settings, f"hub-demo-{uuid.uuid4().hex[:8]}")
    try:
        start: dict[tuple[str, int], int] = {}
        for p in positions:
            start[(p.topic, p.partition)] = min(p.offset, start.get((p.topic, p.partition), p.offset))
        client.assign([TopicPartition(t, part, offset) for (t, part), offset in start.items()])
        wanted = {(p.topic, p.partition, p.offset) for p in positions}
        got: dict[tuple[str, int, int], Message] = {}
        deadline = time.monotonic() + settings.request_timeout_s * 2
        while len(got) < len(wanted) and time.monotonic() < deadline:
            msg = client.poll(0.5)
            if msg is None or msg.error():
                continue
            where = (msg.topic() or "", msg.partition() or 0, msg.offset() or 0)
            if where in wanted:
                got[where] = msg
        if len(got) < len(wanted):
            raise BrokerUnavailableError(f"read back {len(got)} of {len(wanted)} messages before the timeout")
        return [got[(p.topic, p.partition, p.offset)] for p in positions]
    finally:
        client.close()


# -- the demo -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRow:
    department: str
    record_key: str
    name: str
    schema_id: int
    partition: int
    offset: int
    equal: bool


def display_name(event: DepartmentEvent) -> str:
    record = event.record
    return record.business_name if isinstance(record, CommerceRecord) else record.name


def run_demo(settings: HubSettings, say: Callable[[str], None] = typer.echo) -> list[DemoRow]:
    outcomes = ensure_topics(settings)
    created = sum(o.status == "created" for o in outcomes)
    say(f"topics: {len(outcomes)} ensured ({created} created, {len(outcomes) - created} existed)")

    with SchemaRegistry.from_settings(settings) as registry:
        subjects = sync_catalogue(registry, settings)
        new = sum(v.created for s in subjects for v in s.versions)
        say(f"schemas: {len(subjects)} subjects registered at {settings.registry_url} ({new} new versions)")

        codecs = TopicCodecs(settings, registry)
        events = [event_for(r, city_code=settings.city_code) for r in sample_records()]
        messages = [codecs.encode_department_event(e) for e in events]
        delivered = produce(settings, messages)
        say(f"produced {len(delivered)} events, one per department")

        rows: list[DemoRow] = []
        for sent, msg in zip(events, fetch(settings, delivered), strict=True):
            topic = msg.topic() or ""
            key = codecs.deserializer(topic, "key")(msg.key())
            schema_id, received = codecs.decode_department_event(topic, msg.value())
            rows.append(
                DemoRow(
                    received.source,
                    str(key),
                    display_name(received),
                    schema_id,
                    msg.partition() or 0,
                    msg.offset() or 0,
                    received == sent,
                )
            )
    say(_table(rows))
    if not all(r.equal for r in rows):
        raise HubError("a decoded event differs from the one produced")
    return rows


def _table(rows: Sequence[DemoRow]) -> str:
    header = ("DEPARTMENT", "RECORD KEY", "NAME", "SCHEMA ID", "PARTITION/OFFSET", "ROUND TRIP")
    cells = [
        (
            r.department,
            r.record_key,
            r.name,
            str(r.schema_id),
            f"{r.partition}/{r.offset}",
            "equal" if r.equal else "DIFFERS",
        )
        for r in rows
    ]
    widths = [max(_width(c[i]) for c in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *cells]]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two terminal columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))

