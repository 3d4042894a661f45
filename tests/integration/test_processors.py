"""`hub process` against the real broker, registry and Redis: streaming equals batch.

Each test works in its own topics, consumer group and Redis key prefix, so reruns never collide.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from confluent_kafka import Consumer

from citygen.engine import generate
from connectors.formats import detect_source, read_file
from demos.roundtrip import produce, producer
from hub.batch.driver import expand_inputs
from hub.contract.records import DepartmentRecord
from hub.contract.sources import SOURCES
from hub.settings import HubSettings, load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.lag import group_lag
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs, frame
from processors.setup import prepare
from tests.integration.isolation import isolated_hub_env, live_citizen_count

pytestmark = pytest.mark.integration

HUB = [str(Path(sys.executable).parent / "hub")]


@pytest.fixture
def env(infra: HubSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """HUB_* variables that give this test its own topics, group and Redis prefix."""
    values = {**isolated_hub_env("t"), "HUB_PROCESSORS__BATCH_MAX": "100"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield {**os.environ, **values}


def city_records(folder: Path, persons: int = 200) -> tuple[list[Path], list[DepartmentRecord]]:
    generate(persons, 11, folder, deltas=2)
    files = expand_inputs([folder])
    records: list[DepartmentRecord] = [row.record for path in files for row in read_file(path, detect_source(path))
               if row.record is not None]
    return files, records


def publish(settings: HubSettings, records: list[DepartmentRecord],
            extra: list[tuple[str, bytes, bytes]] | None = None) -> None:
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        messages = [codecs.encode_department_event(event_for(r, city_code=settings.city_code)) for r in records]
    produce(settings, [*messages, *(extra or [])])


def lag(settings: HubSettings, topics: list[str] | None = None) -> int:
    """Events the group has not committed yet, over the department topics and the resolve topic."""
    if topics is None:  # department topics first: their commit implies the resolve topic has the records
        topics = [settings.topics.dept(s) for s in SOURCES] + [settings.processors.resolve_topic]
    return group_lag(settings, settings.processors.app_id, topics)


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen([*HUB, "process"], env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_drained(settings: HubSettings, procs: list[subprocess.Popen[bytes]], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(2)
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        if lag(settings) == 0:
            return
        time.sleep(0.5)
    raise AssertionError("not drained in time:\n" + log.read_text(errors="replace")[-3000:])


def wait_joined(settings: HubSettings, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    """Wait until the worker is a member of its group: with nothing to drain, a SIGTERM sent before its
    start-up installed the handlers would end it with -15 instead of a clean stop."""
    from hub.wire.topics import admin_client

    group = settings.processors.app_id
    admin = admin_client(settings)
    deadline = time.monotonic() + timeout
    while not admin.describe_consumer_groups([group])[group].result(timeout=10).members:
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    assert code == 0, log.read_text(errors="replace")[-3000:]


def export(env: dict[str, str], out: Path) -> list[dict[str, Any]]:
    subprocess.run([*HUB, "export", "masters", "--out", str(out)], env=env, check=True)
    return [orjson.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def drained_and_stopped(env: dict[str, str], settings: HubSettings, tmp_path: Path,
                        persons: int) -> tuple[list[DepartmentRecord], list[dict[str, Any]]]:
    """A generated city published and drained by one worker, which is then stopped (a rebuild is refused
    while it runs): its records and the exported masters, the starting point of the rebuild tests."""
    from processors.rebuild import RebuildRefusedError, rebuild

    _, records = city_records(tmp_path / "city", persons=persons)
    prepare(settings)
    publish(settings, records)
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_drained(settings, [proc], log)
    with pytest.raises(RebuildRefusedError, match="running"):
        rebuild(settings)  # a running worker would write its engine state back
    stop(proc, log)
    return records, export(env, tmp_path / "before.jsonl")


def batch_masters(env: dict[str, str], files: list[Path], out: Path) -> list[dict[str, Any]]:
    subprocess.run([*HUB, "resolve", *map(str, files), "--out", str(out.with_suffix(".rows")),
                    "--masters", str(out)], env=env, check=True, capture_output=True)
    return [orjson.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_stream_equals_batch_one_worker(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    files, records = city_records(tmp_path / "city")
    prepare(settings)
    publish(settings, records)
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_drained(settings, [proc], log)
    stop(proc, log)
    streamed = export(env, tmp_path / "stream.jsonl")
    assert streamed == batch_masters(env, files, tmp_path / "batch.jsonl")
    assert len(streamed) > 100
    seen: dict[tuple[str, str], str] = {}  # the engine really met a newer version before an older one
    late = 0
    for value in read_all(settings, settings.processors.resolve_topic):
        hop = orjson.loads(value)  # stage 1 forwards the records of a batch in one message
        for doc in hop if isinstance(hop, list) else [hop]:
            ref = (doc["source"], doc["record_id"])
            late += ref in seen and doc["updated_at"] < seen[ref]
            seen[ref] = max(seen.get(ref, ""), doc["updated_at"])
    assert late > 0


def test_a_lost_read_model_is_rebuilt_from_kafka_to_the_same_export(env: dict[str, str], tmp_path: Path) -> None:
    """Redis is a cache of Kafka: delete its data, `hub rebuild`, `hub process` again, same masters."""
    from processors.rebuild import rebuild

    settings = load_settings()
    _, before = drained_and_stopped(env, settings, tmp_path, persons=150)
    store = redis.Redis.from_url(settings.redis_url)
    kept = f"{settings.processors.redis_prefix}window:credential:probe"
    store.set(kept, b"a hall's credential")
    lost = [k for k in store.scan_iter(match=f"{settings.processors.redis_prefix}*") if k != kept.encode()]
    store.delete(*lost)  # the read model is gone
    assert export(env, tmp_path / "lost.jsonl") == []
    window = settings.window.model_copy(update={"redis_prefix": f"{settings.processors.redis_prefix}window:"})
    plan = rebuild(settings.model_copy(update={"window": window}))
    assert plan.kept_keys == 1 and store.get(kept) == b"a hall's credential"
    assert export(env, tmp_path / "rebuilt.jsonl") == before  # the rebuild itself restored the read model
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_joined(settings, proc, log)
    wait_drained(settings, [proc], log)
    stop(proc, log)
    assert export(env, tmp_path / "after.jsonl") == before and len(before) > 100


def test_stream_equals_batch_two_workers(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    files, records = city_records(tmp_path / "city")
    prepare(settings)
    half = len(records) // 2
    publish(settings, records[:half])
    log = tmp_path / "workers.log"
    procs = [start(env, log)]
    time.sleep(3)
    procs.append(start(env, log))  # joins mid-stream: a rebalance
    publish(settings, records[half:])
    wait_drained(settings, procs, log)
    for proc in procs:
        stop(proc, log)
    assert export(env, tmp_path / "stream.jsonl") == batch_masters(env, files, tmp_path / "batch.jsonl")


def test_poison_events_go_to_the_dead_letter_topic(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    files, records = city_records(tmp_path / "city", persons=40)
    prepare(settings)
    topic = settings.topics.dept("health")
    poison = [(topic, b"k1", os.urandom(40)), (topic, b"k2", frame(987_654_321, b"\x00\x01"))]
    publish(settings, records[:10], poison)
    publish(settings, records[10:])
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_drained(settings, [proc], log)
    stop(proc, log)
    assert export(env, tmp_path / "stream.jsonl") == batch_masters(env, files, tmp_path / "batch.jsonl")
    letters = read_all(settings, settings.topics.dlq("health"))
    with SchemaRegistry.from_settings(settings) as registry:
        decoded = [TopicCodecs(settings, registry).deserializer(settings.topics.dlq("health"))(v) for v in letters]
    assert sorted(d["raw"] for d in decoded) == sorted(p[2] for p in poison)
    assert all(d["origin"]["topic"] == topic for d in decoded)
    assert any("987654321" in d["reason"] for d in decoded)


def read_all(settings: HubSettings, topic: str, timeout: float = 20) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"read-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    found: list[bytes] = []
    deadline = time.monotonic() + timeout
    idle = 0
    while time.monotonic() < deadline and idle < 6:
        msg = consumer.poll(0.5)
        if msg is None:
            idle += 1 if found else 0
            continue
        value = msg.value()
        if msg.error() is None and value is not None:
            found.append(value)
            idle = 0
    consumer.close()
    return found


def test_sigkill_mid_stream_and_restart(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    files, records = city_records(tmp_path / "city", persons=300)
    prepare(settings)
    publish(settings, records)
    log = tmp_path / "worker.log"
    proc = start(env, log)
    written = redis.Redis.from_url(settings.redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not live_citizen_count(written, settings.processors.redis_prefix):
        time.sleep(0.05)  # kill once the first batches are in Redis, long before the end
    partial = live_citizen_count(written, settings.processors.redis_prefix)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert 0 < partial < 300
    proc = start(env, log)
    wait_drained(settings, [proc], log)
    stop(proc, log)
    assert export(env, tmp_path / "stream.jsonl") == batch_masters(env, files, tmp_path / "batch.jsonl")


def publish_shuffled(settings: HubSettings, batches: Sequence[Sequence[DepartmentRecord]], seed: int) -> None:
    """Produce each event to a random partition (not its key's), batches in the given order, shuffled within."""
    rng = random.Random(seed)
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        messages = []
        for batch in batches:
            encoded = [codecs.encode_department_event(event_for(r, city_code=settings.city_code)) for r in batch]
            rng.shuffle(encoded)
            messages.extend(encoded)
    client = producer(settings)
    partitions = settings.topic_policy.partitions
    for topic, key, value in messages:
        client.produce(topic, key=key, value=value, partition=rng.randrange(partitions))
    assert client.flush(settings.request_timeout_s + 1) == 0


def test_events_shuffled_across_partitions(env: dict[str, str], tmp_path: Path) -> None:
    """Order-free: versions of one record on different partitions, deltas before base files, same masters."""
    settings = load_settings()
    folder = tmp_path / "city"
    files, _ = city_records(folder)
    by_file = [[row.record for row in read_file(path, detect_source(path)) if row.record is not None]
               for path in files]
    prepare(settings)
    publish_shuffled(settings, by_file[::-1], seed=5)  # latest delta of each department first, base files last
    log = tmp_path / "worker.log"
    procs = [start(env, log), start(env, log)]  # two consumers: partitions are read in no fixed interleaving
    wait_drained(settings, procs, log)
    for proc in procs:
        stop(proc, log)
    streamed = export(env, tmp_path / "stream.jsonl")
    assert streamed == batch_masters(env, files, tmp_path / "batch.jsonl")
    assert len(streamed) > 100


@pytest.fixture
def slow_redis(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port, so the test can pause it without touching the shared one."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and proc.poll() is None, "private redis-server did not start"
            time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rss_mib(pid: int) -> float:
    """Resident set size of a process (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


#: Bounds set for the back-pressure test: small, so that a backlog of ~19k events cannot hide in them.
BUFFER, BATCH, FETCH = 200, 100, 64 * 1024
#: How much the worker's RSS may grow while Redis refuses writes. Held at most: 2 x BUFFER events queued (the
#: department channel and the resolve channel), one BATCH being taken and one in flight (~600 events at a few
#: KiB each as faust Message/Event objects: < 3 MiB), FETCH prefetched per assigned partition (16: 1 MiB raw),
#: plus allocator slack. Holding the backlog instead costs ~1.2 KiB an event: with stream_buffer_maxsize=100000 and
#: an 8 MiB fetch this test measured +23 MiB for the 18,870 events (bounded as below: +1 to +2 MiB).
RSS_GROWTH_MAX_MIB = 12.0


def test_slow_redis_slows_consumption_not_memory(env: dict[str, str], slow_redis: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-pressure: while Redis refuses writes the backlog stays in Kafka (lag grows), not in the worker."""
    env = {**env, "HUB_REDIS_URL": slow_redis, "HUB_PROCESSORS__STREAM_BUFFER_MAXSIZE": str(BUFFER),
           "HUB_PROCESSORS__BATCH_MAX": str(BATCH), "HUB_PROCESSORS__FETCH_MAX_BYTES": str(FETCH),
           # a hop message per event, so the lag on the resolve topic counts events like the department topics'
           "HUB_PROCESSORS__FORWARD_MAX": "1",
           "HUB_PROCESSORS__REDIS_TIMEOUT_S": "2"}
    for key, value in env.items():  # undone after the test: later tests must not inherit the private Redis
        monkeypatch.setenv(key, value)
    settings = load_settings()
    files, records = city_records(tmp_path / "city", persons=1000)
    prepare(settings)
    publish(settings, records)
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_drained(settings, [proc], log)
    warm = rss_mib(proc.pid)  # buffers have been full already; the engine holds the city, copies add no state
    store = redis.Redis.from_url(slow_redis)
    citizens = live_citizen_count(store, settings.processors.redis_prefix)
    dept = [settings.topics.dept(s) for s in SOURCES]
    copies = 6
    backlog = copies * len(records)
    # the batch's MULTI/EXEC now waits, times out; long enough for publishing the copies and stage 1's drain on a
    # loaded machine (a 30 s pause expired there before stage 1 settled), undone by UNPAUSE below
    store.execute_command("CLIENT", "PAUSE", "150000", "WRITE")
    try:
        paused = time.monotonic()
        for _ in range(copies):
            publish(settings, records)
        peak, seen = warm, -1
        while True:  # paused for 3 Redis timeouts, and no progress over the last second
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() - paused < 140, "consumption did not settle"  # stage 1 drains first
            peak = max(peak, rss_mib(proc.pid))
            waiting, stalled = lag(settings, dept), lag(settings)
            if time.monotonic() - paused > 6 and waiting == seen:
                break
            seen = waiting
            time.sleep(1)
        assert live_citizen_count(store, settings.processors.redis_prefix) == citizens
    finally:
        store.execute_command("CLIENT", "UNPAUSE")
    # Stage 2 committed nothing: the lag grew by the whole backlog, which waits in Kafka (on the resolve topic if
    # faust paused fetching the full resolve partition in time, else also on the department topics: a full
    # channel blocks the worker's one fetch loop, so stage 1 stalls too). Either way not in the worker's memory:
    assert stalled >= backlog - BATCH, (stalled, backlog)
    assert peak - warm < RSS_GROWTH_MAX_MIB, f"RSS {warm:.0f} -> {peak:.0f} MiB with {backlog} events waiting"
    wait_drained(settings, [proc], log)
    drained = rss_mib(proc.pid)
    stop(proc, log)
    assert "Redis write failed" in log.read_text(errors="replace")  # timed out, retried, and carried on
    print(f"\nRSS warm {warm:.1f} MiB, peak while paused {peak:.1f} MiB, drained {drained:.1f} MiB; lag while "
          f"paused {stalled} of {backlog} ({waiting} not yet read from the department topics)")
    assert export(env, tmp_path / "stream.jsonl") == batch_masters(env, files, tmp_path / "batch.jsonl")
