"""Several cities in one hub: catch-up of two generated cities by `hub process` on one worker and on two,
next to raw consume + Avro decode of the same topics and `hub resolve` of each city, in the same run.

    .venv/bin/python -m bench.cities --persons 3000 [--rounds 2]

The one-worker and two-worker runs alternate (each in its own consumer group, resolve topic and Redis
prefixes, on the same department topics), so a shared machine's load falls on both alike. The bulk
bootstrap is off with several cities (each city's engine catches up incrementally). Figures only.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.processors import HUB, Progress, cpu_seconds, isolated_env, peak_rss_mb, raw_rate
from citygen.engine import generate
from connectors.formats import detect_source, read_file
from demos.roundtrip import produce
from hub.batch.driver import expand_inputs
from hub.contract.records import DepartmentRecord
from hub.infra import ensure_up
from hub.settings import load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors.setup import ensure_resolve_topic, prepare

CITIES = ("330100", "310100")  # the generator's cities: Hangzhou, and Shanghai standing in for a second one


def city_files(folder: Path, city: str, persons: int, seed: int) -> tuple[list[Path], list[DepartmentRecord]]:
    generate(persons, seed, folder, city=city, deltas=3)
    files = expand_inputs([folder])
    return files, [row.record for p in files for row in read_file(p, detect_source(p)) if row.record is not None]


def resolve_seconds(files: list[Path], city: str, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `hub resolve` on one city's files."""
    began = time.perf_counter()
    proc = subprocess.Popen([HUB, "resolve", *map(str, files), "--city", city, "--out", str(out / "rows.jsonl"),
                             "--masters", str(out / "masters.jsonl")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"hub resolve exited with {proc.returncode}")
    return time.perf_counter() - began, usage.ru_utime + usage.ru_stime


def catch_up(tag: str, workers: int, total: int) -> tuple[float, list[float], float]:
    """`workers` x `hub process` from the start of the department topics to zero lag in a group of its own;
    (wall seconds, CPU seconds of each worker, largest peak RSS MB)."""
    env = {**os.environ, "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
           "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1", "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:"}
    os.environ.update({k: env[k] for k in ("HUB_PROCESSORS__APP_ID", "HUB_PROCESSORS__RESOLVE_TOPIC",
                                           "HUB_PROCESSORS__REDIS_PREFIX")})
    settings = load_settings()
    ensure_resolve_topic(settings)
    progress = Progress(settings)
    started = time.perf_counter()
    logs = [Path(tempfile.gettempdir()) / f"{tag}-{n}-process.log" for n in range(workers)]
    procs = [subprocess.Popen([HUB, "process"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
             for log in logs]
    forwarded = False
    while True:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"hub process exited with {proc.returncode}")
        forwarded = forwarded or progress.committed(progress.dept) >= total
        if forwarded and progress.committed(progress.resolve) >= progress.end(progress.resolve):
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    progress.close()
    cpu = [cpu_seconds(proc.pid) for proc in procs]
    rss = max(peak_rss_mb(proc.pid) for proc in procs)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)
    return elapsed, cpu, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=3000, help="persons per city")
    parser.add_argument("--rounds", type=int, default=1, help="runs of one and of two workers, alternating")
    args = parser.parse_args()
    ensure_up()
    tag = f"m{uuid.uuid4().hex[:8]}"
    isolated_env(tag)
    os.environ["HUB_CITIES"] = ",".join(CITIES)
    settings = load_settings()
    records: list[tuple[str, DepartmentRecord]] = []
    batch_wall = batch_cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for seed, city in enumerate(CITIES, start=5):
            files, found = city_files(Path(tmp) / city, city, args.persons, seed)
            wall, cpu = resolve_seconds(files, city, Path(tmp) / city)
            print(f"{city}: {len(found)} events; hub resolve {len(found) / wall:,.0f} events/s "
                  f"({wall:.1f}s wall, {cpu:.1f} CPU s)")
            batch_wall, batch_cpu = batch_wall + wall, batch_cpu + cpu
            records += [(city, r) for r in found]
    prepare(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        codecs = TopicCodecs(settings, registry)
        produce(settings, [codecs.encode_department_event(event_for(r, city_code=city)) for city, r in records])
    total = len(records)
    print(f"events: {total} ({args.persons} persons per city, {len(CITIES)} cities, 3 deltas); "
          f"hub resolve of both, one after the other: {total / batch_wall:,.0f} events/s, "
          f"{total / batch_cpu:,.0f} events per CPU second")
    for round_ in range(args.rounds):
        for workers in (1, 2):
            load = os.getloadavg()[0]
            print(f"-- run {round_ + 1}, {workers} worker(s), load average {load:.1f}")
            print(f"raw consume + Avro decode: {raw_rate(settings, total):,.0f} events/s")
            wall, spent, rss = catch_up(f"{tag}r{round_}w{workers}", workers, total)
            each = " + ".join(f"{c:.1f}" for c in spent)
            print(f"hub process catch-up, start to zero lag: {total / wall:,.0f} events/s ({wall:.1f}s wall); "
                  f"CPU of the workers {each} = {sum(spent):.1f}s, {total / sum(spent):,.0f} events per CPU second; "
                  f"busiest worker {max(spent):.1f} CPU s; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
