"""`hub dlq` against the real broker: replay republishes exactly the rows today's readers accept, once, even
when run twice; rows still bad stay; a row replayed too often is not; `show` masks personal data."""

from __future__ import annotations

import uuid

from redis import Redis

from connectors.sdk import DepartmentPublisher, FileOrigin, RequestOrigin
from hub.ops.dlq import audit_entries, list_letters, replay, show_letter
from hub.settings import HubSettings, TopicNames
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics
from tests.integration.connector_files import bad_rows, encode_row, good_row, key_of
from tests.integration.topic_window import TopicWindow


def _settings(infra: HubSettings) -> HubSettings:
    tag = f"dlq{uuid.uuid4().hex[:8]}"
    configured = infra.model_copy(update={
        "topics": TopicNames(department=f"{tag}.dept.{{source}}.v1", dead_letter=f"{tag}.dlq.{{source}}.v1"),
        "processors": infra.processors.model_copy(update={"redis_prefix": f"{tag}:"}),
    })
    ensure_topics(configured)
    with SchemaRegistry.from_settings(configured) as registry:
        sync_catalogue(registry, configured)
    return configured


def test_replay_republishes_the_fixed_rows_exactly_once(infra: HubSettings) -> None:
    settings = _settings(infra)
    source = "health"
    fixed = [encode_row(source, good_row(source, i)) for i in range(3)]
    still_bad = bad_rows(source, 7)
    gone = "/nonexistent/health_0501.csv"  # the export was since removed: the dialect's header is used
    with DepartmentPublisher(settings, source) as publisher:
        for i, raw in enumerate(fixed):  # refused by a connector bug since fixed
            publisher.dead_letter("line 2: connector bug", raw, FileOrigin(gone, i + 2, 0), connector="file")
        publisher.dead_letter("line 9: connector bug", fixed[0], FileOrigin(gone, 9, 0))  # the same row again
        for kind in ("missing required value", "unparsable date"):
            publisher.dead_letter(f"line 5: {kind}", still_bad[kind], FileOrigin(gone, 5, 0))
        looped = encode_row(source, good_row(source, 50))
        publisher.dead_letter("line 3: connector bug", looped, RequestOrigin("push-1#0"), replay_count=3)
        publisher.flush()
    redis = Redis.from_url(settings.redis_url)
    dept = settings.topics.dept(source)
    window = TopicWindow(settings, [dept])

    dry = replay(settings, source, dry_run=True, redis=redis)
    assert (dry.would_republish, dry.republished, dry.still_bad) == (3, 0, 2), dry

    first = replay(settings, source, redis=redis)
    assert (first.republished, first.still_bad, first.already_replayed, first.loop_guarded) == (3, 2, 1, 1), first
    second = replay(settings, source, redis=redis)
    assert (second.republished, second.already_replayed, second.still_bad) == (0, 4, 2), second

    events = window.read()[dept]
    assert sorted(e["record_key"] for e in events) == sorted(key_of(source, i) for i in range(3))

    page = list_letters(settings, source)
    assert page.total == 7
    assert {r.reason: r.count for r in page.by_reason}["connector bug"] == 5
    assert [e["action"] for e in audit_entries(settings, redis)][-3:] == ["dlq.replay"] * 3


def test_show_masks_personal_data_and_carries_connect_headers(infra: HubSettings) -> None:
    settings = _settings(infra)
    source = "civil_affairs"
    row = good_row(source, 4)
    raw = encode_row(source, row)
    with DepartmentPublisher(settings, source) as publisher:
        publisher.dead_letter("line 2: bad", raw, FileOrigin("/x/civil_affairs.csv", 2, 10), connector="file")
        publisher.flush()
    letter_id = list_letters(settings, source).letters[0].id
    shown = show_letter(settings, letter_id)
    text = repr(shown)
    for value in row.values():
        if isinstance(value, str) and len(value) >= 6 and value.replace("X", "").isdigit():
            assert value not in text  # ID numbers and phones never in clear
    assert str(row["姓名"]) not in text
    assert shown["headers"]["__connect.errors.connector.name"] == "file"
    assert shown["headers"]["__connect.errors.stage"] == "read"
