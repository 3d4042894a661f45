"""Long-run memory of one `hub process` worker: RSS against events consumed, up to 1,000,000 events.

    .venv/bin/python -m bench.soak [--persons 10000 --events 1000000 --bootstrap --memtrace DIR]

First pass: a generated city (base export and `--deltas` monthly deltas: births, moves, new phones,
status changes, deaths, stale and duplicate rows as the generator makes them) published by
`hub connect file`. The worker starts once it is published; the bulk bootstrap is off unless
`--bootstrap` (an empty state with that backlog would otherwise be resolved in bulk, whose peak
would hide the incremental path's growth). Then the feed, until the worker has consumed `--events`
in all: cycle after cycle, every good row of the first pass again, in the same order, each
re-stamped with a fresh update time (after the last delta, one second more per event), so each is
the latest version of a record the hub already holds and a person's history of values (moves,
phones, status) is replayed; no new person and no value the hub has not seen; and every
`--duplicate-every`-th of them sent twice, same bytes (a duplicate that changes nothing).

Samples the worker's RSS (VmRSS, VmHWM from /proc) and the events its stage 2 has applied (the
records of the resolve topic below the group's committed offset; stage 1 runs well ahead on this
feed) every `--interval` seconds, keeping at most `--lag` events queued ahead of stage 2; prints each
sample as it goes, then RSS at 100k, 250k, 500k and 1M events (or where `--seconds` stopped it), the
growth from 100k to the end, and events/s. Works in its own topics, group and Redis prefix.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
from confluent_kafka import Consumer, TopicPartition

from bench.processors import HUB, Progress, cpu_seconds, isolated_env
from citygen.engine import generate
from connectors.formats import detect_source, read_file
from demos.roundtrip import producer
from hub.batch.driver import expand_inputs
from hub.contract.records import DepartmentRecord
from hub.infra import ensure_up
from hub.settings import HubSettings, load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors.setup import ensure_resolve_topic, prepare

MILESTONES = (100_000, 250_000, 500_000, 1_000_000)
CHUNK = 2_000  # events produced at a time


@dataclass(frozen=True)
class Sample:
    when: float  # seconds since the worker started
    consumed: int  # department events stage 2 applied (committed)
    forwarded: int  # department events stage 1 committed
    rss_mb: float
    hwm_mb: float
    cpu_s: float


class Applied:
    """Department events stage 2 has applied: the records in the resolve topic's messages below the group's
    committed offset (a message carries one record or an array of them), read once each as it goes."""

    def __init__(self, settings: HubSettings) -> None:
        self.consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"soak-{uuid.uuid4()}",
                                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self.consumer.assign([TopicPartition(settings.processors.resolve_topic, 0, 0)])
        self.upto = [0]  # upto[n]: records in the first n messages

    def events(self, committed: int) -> int:
        while len(self.upto) <= committed:
            for msg in self.consumer.consume(500, timeout=1.0):
                if msg.error() is None:
                    value = orjson.loads(msg.value() or b"null")
                    self.upto.append(self.upto[-1] + (len(value) if isinstance(value, list) else 1))
        return self.upto[committed]

    def close(self) -> None:
        self.consumer.close()


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def city_records(folder: Path, persons: int, seed: int, deltas: int) -> tuple[list[Path], list[DepartmentRecord]]:
    generate(persons, seed, folder, deltas=deltas)
    files = expand_inputs([folder])
    return files, [row.record for p in files for row in read_file(p, detect_source(p)) if row.record is not None]


class Feed:
    """The update events after the first pass: cycles of re-stamped rows, some sent twice."""

    def __init__(self, settings: HubSettings, records: list[DepartmentRecord], duplicate_every: int) -> None:
        self.settings = settings
        self.records = records
        self.duplicate_every = duplicate_every
        self.start = max(r.updated_at for r in records) + timedelta(days=1)
        self.versions = self.duplicates = 0
        self.registry = SchemaRegistry.from_settings(settings)
        self.codecs = TopicCodecs(settings, self.registry)

    def __iter__(self) -> Iterator[tuple[str, bytes, bytes]]:
        while True:
            for record in self.records:
                stamped = record.model_copy(update={"updated_at": self.start + timedelta(seconds=self.versions)})
                message = self.codecs.encode_department_event(event_for(stamped, city_code=self.settings.city_code))
                self.versions += 1
                yield message
                if self.duplicate_every and self.versions % self.duplicate_every == 0:
                    self.duplicates += 1
                    yield message

    def close(self) -> None:
        self.registry.close()


def publish_city(settings: HubSettings, files: list[Path], state: Path) -> None:
    """The first pass through the file connector, in file order (base, then the deltas by date)."""
    began = time.perf_counter()
    subprocess.run([HUB, "connect", "file", "auto", *map(str, files), "--state-dir", str(state)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"hub connect file: {len(files)} files in {time.perf_counter() - began:.1f}s")


def at_milestones(samples: list[Sample], total: int) -> list[tuple[int, Sample]]:
    """The first sample at or past each milestone (and the last one for the end)."""
    marks = [m for m in MILESTONES if m < min(total, samples[-1].consumed)] + [samples[-1].consumed]
    return [(m, next(s for s in samples if s.consumed >= m)) for m in marks if samples[-1].consumed >= m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deltas", type=int, default=36, help="monthly delta exports of the first pass")
    parser.add_argument("--events", type=int, default=1_000_000, help="events the worker consumes in all")
    parser.add_argument("--duplicate-every", type=int, default=20, help="every n-th feed version also sent twice")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between samples")
    parser.add_argument("--lag", type=int, default=20_000, help="most events queued ahead of the worker")
    parser.add_argument("--bootstrap", action="store_true", help="let the first pass go through the bootstrap")
    parser.add_argument("--memtrace", type=Path, help="trace the worker's allocations, reports in this folder")
    parser.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0: at --events)")
    parser.add_argument("--memtrace-every", type=float, default=60.0, help="seconds between memtrace reports")
    args = parser.parse_args()
    ensure_up()
    tag = f"s{uuid.uuid4().hex[:8]}"
    env = isolated_env(tag)
    if not args.bootstrap:
        env["HUB_PROCESSORS__BOOTSTRAP_MIN_EVENTS"] = "0"
    if args.memtrace:
        env.update({"HUB_PROCESSORS__MEMTRACE_DIR": str(args.memtrace),
                    "HUB_PROCESSORS__MEMTRACE_EVERY_S": str(args.memtrace_every)})
    settings = load_settings()
    prepare(settings)
    ensure_resolve_topic(settings)
    with tempfile.TemporaryDirectory() as tmp:
        files, records = city_records(Path(tmp) / "city", args.persons, args.seed, args.deltas)
        publish_city(settings, files, Path(tmp) / "connector")
    progress = Progress(settings)
    first = progress.end(progress.dept)
    print(f"first pass: {first} events ({args.persons} persons, base + {args.deltas} deltas, seed {args.seed}); "
          f"feed: re-stamped versions of those {len(records)} rows, every {args.duplicate_every}th sent twice")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    log = Path(tempfile.gettempdir()) / f"{tag}-process.log"
    proc = subprocess.Popen([HUB, "process"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    feed = Feed(settings, records, args.duplicate_every)
    events = iter(feed)
    client = producer(settings)
    applied = Applied(settings)
    produced, samples, began = first, [], time.perf_counter()
    deadline = began + args.seconds if args.seconds else None
    print("sample: seconds, events applied by stage 2, committed by stage 1, VmRSS MB, VmHWM MB, worker CPU s",
          flush=True)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"hub process exited with {proc.returncode} (log {log})")
            forwarded = progress.committed(progress.dept)
            consumed = applied.events(progress.committed(progress.resolve))
            rss, hwm = memory_mb(proc.pid)
            samples.append(Sample(time.perf_counter() - began, consumed, forwarded, rss, hwm, cpu_seconds(proc.pid)))
            last = samples[-1]
            print(f"sample: {last.when:.0f} {consumed} {forwarded} {rss:.0f} {hwm:.0f} {last.cpu_s:.0f}", flush=True)
            if consumed >= args.events or (deadline is not None and time.perf_counter() > deadline):
                break
            while produced < args.events and produced - consumed < args.lag:  # paced on stage 2
                for _ in range(min(CHUNK, args.events - produced)):
                    topic, key, value = next(events)
                    client.produce(topic, key=key, value=value)
                    produced += 1
                    client.poll(0)
                client.flush(30)
            time.sleep(args.interval)
    finally:
        progress.close()
        applied.close()
        feed.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    report(samples, first, feed, produced)


def report(samples: list[Sample], first: int, feed: Feed, produced: int) -> None:
    print(f"events: {produced} = first pass {first} + feed {feed.versions} re-stamped versions of known "
          f"records ({feed.versions / len(feed.records):.2f} cycles of {len(feed.records)} rows) "
          f"+ {feed.duplicates} duplicates")
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("consumed | seconds | VmRSS MB | VmHWM MB | worker CPU s | events/s since the previous line")
    previous: Sample | None = None
    marks = at_milestones(samples, produced)
    for mark, s in marks:
        rate = "" if previous is None else f"{(s.consumed - previous.consumed) / (s.when - previous.when):,.0f}"
        print(f"{mark:>8,} | {s.when:7.0f} | {s.rss_mb:8.0f} | {s.hwm_mb:8.0f} | {s.cpu_s:12.0f} | {rate}")
        previous = s
    end = samples[-1]
    base = next((s for m, s in marks if m == MILESTONES[0]), None)
    if base is not None and end is not base:
        print(f"growth from 100k to {end.consumed:,} events: VmRSS {end.rss_mb / base.rss_mb - 1:+.1%}, "
              f"peak (VmHWM) {end.hwm_mb / base.hwm_mb - 1:+.1%}")
    print(f"throughput: {end.consumed / end.when:,.0f} events/s over the run, {end.consumed / end.cpu_s:,.0f} events "
          f"per worker CPU second; every sample (consumed, VmRSS MB):")
    print(" ".join(f"{s.consumed}:{s.rss_mb:.0f}" for s in samples[:: max(1, len(samples) // 60)]))


if __name__ == "__main__":
    main()
