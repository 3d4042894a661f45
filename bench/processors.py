"""Events/s through `hub process` (department topics already filled with a generated city -> Redis),
next to the raw rate at which the same topics are consumed and Avro-decoded in the same run and to
`hub resolve` on the same files; peak RSS.

    .venv/bin/python -m bench.processors --persons 20000 [--build /tmp/old-checkout --rounds 2]

`--build` runs `hub process` from another checkout too (on PYTHONPATH, so it shares this virtual
environment and compiled engine when its engine sources are the same), alternating with this one.

Works in its own topics, consumer group and Redis prefix (figures only; nothing is asserted).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import redis
from confluent_kafka import Consumer, TopicPartition

from citygen.engine import generate
from connectors.formats import detect_source, read_file
from demos.roundtrip import produce
from hub.batch.driver import expand_inputs
from hub.contract.records import DepartmentRecord
from hub.contract.sources import SOURCES
from hub.infra import ensure_up
from hub.settings import HubSettings, load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors.setup import ensure_resolve_topic, prepare

HUB = str(Path(sys.executable).parent / "hub")


def isolated_env(tag: str) -> dict[str, str]:
    values = {
        "HUB_TOPICS__DEPARTMENT": f"{tag}.dept.{{source}}.v1", "HUB_TOPICS__DEAD_LETTER": f"{tag}.dlq.{{source}}.v1",
        "HUB_TOPICS__MASTER_CITIZEN": f"{tag}.master.citizen.v1",
        "HUB_TOPICS__MASTER_ADDRESS": f"{tag}.master.address.v1",
        "HUB_TOPICS__MASTER_ORGANIZATION": f"{tag}.master.organization.v1",
        "HUB_TOPICS__LIFECYCLE": f"{tag}.master.lifecycle.v1", "HUB_TOPICS__CONFLICTS": f"{tag}.quality.conflicts.v1",
        "HUB_TOPICS__AUDIT": f"{tag}.audit.access.v1", "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
        "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1", "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:",
    }
    os.environ.update(values)
    return {**os.environ, **values}


def records_of(folder: Path, persons: int) -> list[DepartmentRecord]:
    generate(persons, 5, folder, deltas=3)
    files = expand_inputs([folder])
    return [row.record for p in files for row in read_file(p, detect_source(p)) if row.record is not None]


def raw_rate(settings: HubSettings, total: int) -> float:
    """Consume the department topics from the start and decode every event; events/s."""
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"bench-{uuid.uuid4()}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([settings.topics.dept(s) for s in SOURCES])
        seen, started = 0, time.perf_counter()
        while seen < total:
            for msg in consumer.consume(500, timeout=1.0):
                if msg.error() is None:
                    codecs.decode_department_event(msg.topic() or "", msg.value())
                    seen += 1
        elapsed = time.perf_counter() - started
        consumer.close()
    return seen / elapsed


class Progress:
    """Committed offsets of the group, read with one long-lived consumer (cheap enough to poll 4x a second)."""

    def __init__(self, settings: HubSettings) -> None:
        self.consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap,
                                  "group.id": settings.processors.app_id, "enable.auto.commit": False})
        self.dept = self._partitions([settings.topics.dept(s) for s in SOURCES])
        self.resolve = self._partitions([settings.processors.resolve_topic])

    def _partitions(self, topics: list[str]) -> list[TopicPartition]:
        return [TopicPartition(t, p) for t in topics
                for p in self.consumer.list_topics(t, timeout=10).topics[t].partitions]

    def committed(self, tps: list[TopicPartition]) -> int:
        return sum(max(tp.offset, 0) for tp in self.consumer.committed(tps, timeout=10))

    def end(self, tps: list[TopicPartition]) -> int:
        return sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in tps)

    def close(self) -> None:
        self.consumer.close()


def forwarded_events(settings: HubSettings, offsets: int) -> int:
    """Records in the first `offsets` messages of the resolve topic (a message holds one or an array)."""
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"bench-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.assign([TopicPartition(settings.processors.resolve_topic, 0, 0)])
    seen = events = 0
    while seen < offsets:
        for msg in consumer.consume(100, timeout=1.0):
            if msg.error() is None and msg.offset() < offsets:
                value = orjson.loads(msg.value() or b"null")
                events += len(value) if isinstance(value, list) else 1
                seen += 1
    consumer.close()
    return events


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=3000)
    parser.add_argument("--build", type=Path, action="append", default=[],
                        help="also run `hub process` from this checkout of another commit (PYTHONPATH), "
                             "alternating with this one on the same city; repeatable")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each build, alternating")
    args = parser.parse_args()
    ensure_up()
    tag = f"b{uuid.uuid4().hex[:8]}"
    isolated_env(tag)
    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        records = records_of(Path(tmp) / "city", args.persons)
        files = expand_inputs([Path(tmp) / "city"])
        began = time.perf_counter()
        subprocess.run([HUB, "resolve", *map(str, files), "--city", settings.city_code, "--out",
                        str(Path(tmp) / "rows.jsonl"), "--masters", str(Path(tmp) / "masters.jsonl")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        batch_s = time.perf_counter() - began
    prepare(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        produce(settings, [codecs.encode_department_event(event_for(r, city_code=settings.city_code))
                           for r in records])
    total = len(records)
    print(f"events: {total} ({args.persons} persons, 3 deltas)")
    print(f"hub resolve on the same files: {total / batch_s:,.0f} events/s ({batch_s:.1f}s)")
    builds: list[Path | None] = [None, *args.build]
    for round_ in range(args.rounds):
        for n, build in enumerate(builds):
            print(f"-- run {round_ + 1}, build: {build or 'this checkout'}")
            print(f"raw consume + Avro decode: {raw_rate(settings, total):,.0f} events/s")
            run_process(f"{tag}r{round_}n{n}", build, total)


def run_process(tag: str, build: Path | None, total: int) -> None:
    """Run `hub process` from the start of the department topics to zero lag, in its own group, resolve
    topic and Redis prefix; print the rates."""
    env = {**os.environ, "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
           "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1", "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:"}
    if build is not None:
        env["PYTHONPATH"] = str(build)
    os.environ.update({k: env[k] for k in ("HUB_PROCESSORS__APP_ID", "HUB_PROCESSORS__RESOLVE_TOPIC",
                                           "HUB_PROCESSORS__REDIS_PREFIX")})
    settings = load_settings()
    ensure_resolve_topic(settings)  # hub process would, but the progress reader needs it first
    progress = Progress(settings)
    started = time.perf_counter()
    proc = subprocess.Popen([HUB, "process"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first: tuple[float, int] | None = None  # (when, events) of the first commit of stage 2: start-up is over
    forwarded: float | None = None  # when stage 1 had committed every department event
    written: float | None = None  # when stage 2 wrote its first batch to Redis
    store = redis.Redis.from_url(settings.redis_url)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"hub process exited with {proc.returncode}")
        resolved = progress.committed(progress.resolve)
        now = time.perf_counter()
        if first is None and resolved > 0:
            first = (now, resolved)
        if written is None and store.exists(f"{settings.processors.redis_prefix}engine:records"):
            written = now
        if forwarded is None and progress.committed(progress.dept) >= total:
            forwarded = now
        # stage 2 is done when it committed everything stage 1 forwarded (messages of one or many records)
        if forwarded is not None and resolved >= progress.end(progress.resolve):
            break
        time.sleep(0.25)
    elapsed = now - started
    progress.close()
    rss = peak_rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    assert first is not None
    steady = (total - forwarded_events(settings, first[1])) / max(now - first[0], 1e-9)
    print(f"hub process -> Redis, steady state (first commit of stage 2 to the last; commits every "
          f"{settings.processors.commit_interval_s:g}s): {steady:,.0f} events/s")
    print(f"hub process catch-up, start to zero lag incl. start-up ({first[0] - started:.1f}s to the first commit): "
          f"{total / elapsed:,.0f} events/s ({elapsed:.1f}s)")
    assert forwarded is not None and written is not None
    print(f"stage 2 wrote its first batch to Redis {written - started:.1f}s after start")
    print(f"stage 1 (decode, forward to the resolve topic) done {forwarded - started:.1f}s after start: "
          f"{total / (forwarded - started):,.0f} events/s incl. start-up")
    print(f"hub process peak RSS: {rss:.0f} MB = {rss * 1024 / total:.1f} KB per event; "
          f"exit code after SIGTERM: {code}")


if __name__ == "__main__":
    main()
