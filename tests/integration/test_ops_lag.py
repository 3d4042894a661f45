"""`hub lag` against the real broker: a stopped consumer is STOP within the window, one falling behind is
WARN, a caught-up one OK, and lag seconds match the known timestamps of the records (hub.ops.lag)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from redis import Redis

from hub.ops.groups import expected_groups
from hub.ops.lag import LagReport, judge
from hub.ops.probe import probe_groups
from hub.ops.samples import SampleStore
from hub.ops.status import Status
from hub.settings import HubSettings, OpsSettings

WINDOW_S = 3.0


def _topic(settings: HubSettings, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(timeout=15)


class Committer:
    """A consumer in its own group that reads by assignment and commits what it read, synchronously."""

    def __init__(self, settings: HubSettings, group: str, topic: str) -> None:
        self.topic = topic
        self.consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group,
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        self.consumer.assign([TopicPartition(topic, 0, 0)])
        self.position = 0

    def take(self, n: int) -> None:
        got = 0
        deadline = time.monotonic() + 5
        while got < n and time.monotonic() < deadline:
            for msg in self.consumer.consume(num_messages=n - got, timeout=0.2):
                if not msg.error():
                    got += 1
                    self.position = (msg.offset() or 0) + 1
        self.consumer.commit(offsets=[TopicPartition(self.topic, 0, self.position)], asynchronous=False)

    def close(self) -> None:
        self.consumer.close()


def test_stop_warn_ok_and_lag_seconds(infra: HubSettings) -> None:
    tag = f"lag{uuid.uuid4().hex[:8]}"
    topic = f"{tag}.events"
    groups = {f"{tag}-ok": [topic], f"{tag}-warn": [topic], f"{tag}-stop": [topic]}
    settings = infra.model_copy(update={
        "ops": OpsSettings(lag_window_s=WINDOW_S, lag_keep_s=60, groups=groups),
        "processors": infra.processors.model_copy(update={"app_id": f"{tag}-processors",
                                                          "redis_prefix": f"{tag}:"}),
    })
    _topic(settings, topic)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    base_ms = int(time.time() * 1000) - 120_000
    stamps: list[int] = []

    def produce(n: int) -> None:
        for _ in range(n):
            stamps.append(base_ms + 1000 * len(stamps))  # record i was made at base + i seconds
            producer.produce(topic, b"x", timestamp=stamps[-1])
        producer.flush(10)

    produce(40)
    ok, warn, stop = (Committer(settings, f"{tag}-{n}", topic) for n in ("ok", "warn", "stop"))
    stop.take(5)
    stop.close()  # stops committing at offset 5
    warn.take(5)
    store = SampleStore(Redis.from_url(settings.redis_url), settings.processors.redis_prefix, 60)
    watched = [g for g in expected_groups(settings) if g.group in groups]
    report: LagReport | None = None
    began = time.monotonic()
    while time.monotonic() - began < WINDOW_S + 1.5:
        produce(6)
        warn.take(2)  # committing, but slower than the producer
        ok.take(len(stamps) - ok.position)
        report = judge(probe_groups(settings, watched), store, settings, time.time())
        time.sleep(0.3)
    assert report is not None
    by_group = {g.group: g for g in report.groups}
    assert by_group[f"{tag}-ok"].status is Status.OK, by_group[f"{tag}-ok"]
    assert by_group[f"{tag}-warn"].status is Status.WARN, by_group[f"{tag}-warn"]
    assert by_group[f"{tag}-stop"].status is Status.STOP, by_group[f"{tag}-stop"]
    stopped = by_group[f"{tag}-stop"].partitions[0]
    assert stopped.committed == 5 and stopped.lag == len(stamps) - 5
    truth = report.observed_at - stamps[5] / 1000
    assert stopped.lag_seconds is not None and abs(stopped.lag_seconds - truth) < 0.5, (stopped.lag_seconds, truth)
    assert by_group[f"{tag}-ok"].partitions[0].lag_seconds == 0.0
    ok.close()
    warn.close()


def test_hub_lag_json_reports_a_vanished_group(infra: HubSettings) -> None:
    """The processors' group that never ran is in the output, committed null, with its topics' lag."""
    import os

    from hub.wire.topics import ensure_topics

    ensure_topics(infra)  # the department topics exist, as after `hub topics ensure` (a fresh broker has none)
    tag = f"lagcli{uuid.uuid4().hex[:8]}"
    env = {"HUB_PROCESSORS__APP_ID": f"{tag}-processors", "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:"}

    out = subprocess.run([str(Path(sys.executable).parent / "hub"), "lag", "--json"], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=60, check=True).stdout
    data = json.loads(out)
    assert set(data) == {"groups"}
    group = next(g for g in data["groups"] if g["group"] == f"{tag}-processors")
    assert set(group) == {"group", "status", "total_lag", "partitions"}
    assert group["partitions"], "every partition of the expected topics is listed"
    first = group["partitions"][0]
    assert set(first) == {"topic", "partition", "committed", "end", "lag", "lag_seconds", "status"}
    assert all(p["committed"] is None for p in group["partitions"])
    expected = "STOP" if group["total_lag"] > 0 else "OK"
    assert group["status"] == expected
