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
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import orjson
import redis
from confluent_kafka import Consumer, TopicPartition

from citygen.engine import generate
from connectors.formats import detect_source, read_file
from demos.roundtrip import produce, producer
from hub.batch.driver import expand_inputs
from hub.contract.records import DepartmentRecord
from hub.contract.sources import SOURCES
from hub.engine.mentions import record_ref
from hub.infra import ensure_up
from hub.readmodel.codec import decode_record
from hub.readmodel.store import RedisKeys, record_bucket
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
            if msg.error() is None and (msg.offset() or 0) < offsets:
                value = orjson.loads(msg.value() or b"null")
                events += len(value) if isinstance(value, list) else 1
                seen += 1
    consumer.close()
    return events


def trickle(settings: HubSettings, records: list[DepartmentRecord], seconds: float,
            rate: float, bump: int) -> tuple[list[float], int]:
    """Steady state: new versions of existing records at `rate` events/s for `seconds` into a worker that has
    caught up (versions `bump` days newer than the city's: each run its own); seconds from each produce call
    until Redis shows that version (`engine:records`, written in the same MULTI/EXEC as the read model); and
    the events sent (each is added to the department topics)."""
    latest: dict[str, DepartmentRecord] = {}
    for record in records:
        ref = record_ref(record.source, record.record_id)
        if ref not in latest or record.updated_at > latest[ref].updated_at:
            latest[ref] = record
    chosen = [latest[ref] for ref in sorted(latest)][:: max(1, len(latest) // int(seconds * rate))]
    chosen = chosen[:int(seconds * rate)]
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        bumped = [r.model_copy(update={"updated_at": r.updated_at + timedelta(days=bump)}) for r in chosen]
        messages = [codecs.encode_department_event(event_for(r, city_code=settings.city_code)) for r in bumped]
    expected = [(record_ref(r.source, r.record_id), orjson.loads(r.model_dump_json())["updated_at"]) for r in bumped]
    store = redis.Redis.from_url(settings.redis_url)
    keys = RedisKeys(settings.processors.redis_prefix)
    client = producer(settings)
    pending: dict[str, tuple[float, str]] = {}
    latencies: list[float] = []
    sent, began = 0, time.perf_counter()
    while (sent < len(messages) or pending) and time.perf_counter() - began < seconds + 30:
        due = min(len(messages), int((time.perf_counter() - began) * rate) + 1)
        while sent < due:
            topic, k, v = messages[sent]
            client.produce(topic, key=k, value=v)
            pending[expected[sent][0]] = (time.perf_counter(), expected[sent][1])
            sent += 1
        client.poll(0)
        if pending:
            refs = list(pending)
            now = time.perf_counter()
            pipe = store.pipeline(transaction=False)
            for ref in refs:
                pipe.hget(record_bucket(keys, ref), ref)
            for ref, doc in zip(refs, pipe.execute(), strict=True):
                if doc is not None and decode_record(ref, doc)["updated_at"] == pending[ref][1]:
                    latencies.append(now - pending.pop(ref)[0])
        time.sleep(0.005)
    client.flush(10)
    store.close()
    if pending:
        print(f"trickle: {len(pending)} of {sent} events not visible in Redis 30 s after the last send")
    return latencies, sent


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: a figure a loaded, shared machine disturbs less than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--trickle", type=float, default=0.0,
                        help="after each catch-up, this many seconds of steady trickle into the caught-up worker")
    parser.add_argument("--rate", type=float, default=100.0, help="events/s of the trickle")
    parser.add_argument("--variant", action="append", default=[],
                        help="also run this checkout with these settings, e.g. HUB_PROCESSORS__BATCH_WITHIN_S=0.1 "
                             "(comma-separated); repeatable")
    parser.add_argument("--incremental", action="store_true",
                        help="also run this checkout with the bulk bootstrap off (bootstrap_min_events=0)")
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
    builds: list[tuple[Path | None, dict[str, str]]] = [(None, {})]
    if args.incremental:
        builds.append((None, {"HUB_PROCESSORS__BOOTSTRAP_MIN_EVENTS": "0"}))
    for variant in args.variant:
        builds.append((None, dict(item.split("=", 1) for item in variant.split(","))))
    builds.extend((build, {}) for build in args.build)
    for round_ in range(args.rounds):
        for n, (build, extra) in enumerate(builds):
            flags = " ".join(f"{k}={v}" for k, v in extra.items())
            print(f"-- run {round_ + 1}, build: {build or 'this checkout'} {flags}")
            print(f"raw consume + Avro decode: {raw_rate(settings, total):,.0f} events/s")
            trickle_s = (args.trickle, args.rate, records) if args.trickle > 0 else None
            total += run_process(f"{tag}r{round_}n{n}", round_ * len(builds) + n + 1, build, total, extra, trickle_s)


def run_process(tag: str, runs: int, build: Path | None, total: int, extra: dict[str, str] | None = None,
                trickle_with: tuple[float, float, list[DepartmentRecord]] | None = None) -> int:
    """Run `hub process` from the start of the department topics to zero lag, in its own group, resolve
    topic and Redis prefix; then, if asked, a steady trickle; print the rates. Returns the events added."""
    env = {**os.environ, "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
           "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1", "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:",
           "HUB_PROCESSORS__LOGLEVEL": "INFO", **(extra or {})}
    here = load_settings()  # another checkout reads its own .hub/env: hand it this one's addresses
    env.update({"HUB_KAFKA_BOOTSTRAP": here.kafka_bootstrap, "HUB_REGISTRY_URL": here.registry_url,
                "HUB_REDIS_URL": here.redis_url})
    if build is not None:
        env["PYTHONPATH"] = str(build)
    os.environ.update({k: env[k] for k in ("HUB_PROCESSORS__APP_ID", "HUB_PROCESSORS__RESOLVE_TOPIC",
                                           "HUB_PROCESSORS__REDIS_PREFIX")})
    settings = load_settings()
    ensure_resolve_topic(settings)  # hub process would, but the progress reader needs it first
    progress = Progress(settings)
    started = time.perf_counter()
    log = Path(tempfile.gettempdir()) / f"{tag}-process.log"
    proc = subprocess.Popen([HUB, "process"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
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
        if written is None and store.exists(f"{settings.processors.redis_prefix}readmodel:format"):
            written = now
        if forwarded is None and progress.committed(progress.dept) >= total:
            forwarded = now
        # stage 2 is done when it committed everything stage 1 forwarded (messages of one or many records)
        if forwarded is not None and resolved >= progress.end(progress.resolve):
            break
        time.sleep(0.25)
    elapsed = now - started
    progress.close()
    cpu = cpu_seconds(proc.pid)
    latencies, added = ([], 0) if trickle_with is None else trickle(
        settings, trickle_with[2], trickle_with[0], trickle_with[1], runs)
    rss = peak_rss_mb(proc.pid)
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    booted = re.findall(r"bootstrap: (\d+ events .*)", log.read_text(errors="replace"))
    if booted:  # resolved in bulk before faust: stage 2 never committed a hop message
        print(f"bulk bootstrap: {booted[-1]}")
    if first is not None:
        steady = (total - forwarded_events(settings, first[1])) / max(now - first[0], 1e-9)
        print(f"hub process -> Redis, steady state (first commit of stage 2 to the last; commits every "
              f"{settings.processors.commit_interval_s:g}s): {steady:,.0f} events/s")
    print(f"hub process catch-up, start to zero lag incl. start-up"
          f"{f' ({first[0] - started:.1f}s to the first commit)' if first else ''}: "
          f"{total / elapsed:,.0f} events/s ({elapsed:.1f}s)")
    assert forwarded is not None and written is not None
    print(f"stage 2 wrote its first batch to Redis {written - started:.1f}s after start")
    print(f"hub process CPU (user + system) to zero lag: {cpu:.1f}s, {total / cpu:,.0f} events per CPU second")
    print(f"department events committed {forwarded - started:.1f}s after start: "
          f"{total / (forwarded - started):,.0f} events/s incl. start-up")
    if trickle_with:
        print(f"trickle at {trickle_with[1]:g} events/s for {trickle_with[0]:g}s, produce -> visible in Redis: "
              f"p50 {quantile(latencies, 0.5) * 1000:.0f} ms, p99 {quantile(latencies, 0.99) * 1000:.0f} ms, "
              f"max {max(latencies, default=float('nan')) * 1000:.0f} ms ({len(latencies)} events)")
    print(f"hub process peak RSS: {rss:.0f} MB = {rss * 1024 / total:.1f} KB per event; "
          f"exit code after SIGTERM: {code}")
    return added


if __name__ == "__main__":
    main()
