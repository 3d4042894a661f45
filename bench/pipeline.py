"""End to end: files → `hub connect file` → Kafka → `hub process` → Redis → a window lookup.

    .venv/bin/python -m bench.pipeline --persons 20000 [--trickle 100 --rate 5]

Prints, from one run on a generated city:

- rows/s end to end: the connector and the processors start together on the city's export files; the clock
  stops when the connector has exited and the processors' group has committed every event (lag 0);
- the connector's own time (files into Kafka) and the processors' peak RSS;
- raw consume + Avro decode of the same department topics in the same run (`bench.processors.raw_rate`),
  the ceiling any consumer of these topics has on this machine;
- event-to-window latency p50/p99/max: after the backlog, `--trickle` new residents (fresh resident IDs, one
  civil-affairs record each) are published at `--rate` a second through the connectors' publisher, while
  the window's own reader (`hub.window.reader.ReadModel`, what the ID search of `hub serve` calls) is
  polled for each ID; latency is from the produce call to the first lookup that finds the citizen.

Works in its own topics, consumer group and Redis prefix. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

from bench.processors import HUB, isolated_env, peak_rss_mb, raw_rate
from citygen.engine import generate
from citygen.identity import resident_id
from connectors.sdk import DepartmentPublisher
from hub.batch.driver import expand_inputs
from hub.contract.records import CivilAffairsRecord
from hub.contract.sources import SOURCES
from hub.contract.timezone import CST
from hub.infra import ensure_up
from hub.readmodel.store import RedisKeys
from hub.settings import HubSettings, load_settings
from hub.window.reader import ReadModel
from hub.wire.lag import group_lag
from processors.setup import prepare

#: Trickled residents are born on days no generated citizen is (the simulator's oldest are born after 1920).
TRICKLE_BIRTH = date(1901, 1, 1)


def rows_in(settings: HubSettings) -> int:
    """Events on the department topics (the connector's published rows)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**settings.kafka_client_config(), "group.id": f"bench-{uuid.uuid4()}"})
    try:
        metadata = consumer.list_topics(timeout=10)
        total = 0
        for topic in (settings.topics.dept(s) for s in SOURCES):
            for partition in metadata.topics[topic].partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                total += high - low
        return total
    finally:
        consumer.close()


def end_to_end(settings: HubSettings, env: dict[str, str], files: list[Path], work: Path
               ) -> tuple[float, float, subprocess.Popen[bytes]]:
    """Start the connector and the processors together; (connector seconds, seconds to lag 0, the processors)."""
    topics = [*(settings.topics.dept(s) for s in SOURCES), settings.processors.resolve_topic]
    began = time.perf_counter()
    processors = subprocess.Popen([HUB, "process"], env=env, stdout=(work / "process.log").open("ab"),
                                  stderr=subprocess.STDOUT)
    connector = subprocess.Popen([HUB, "connect", "file", "auto", *map(str, files)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=(work / "connect.log").open("ab"))
    connected: float | None = None
    while True:
        if processors.poll() is not None:
            raise SystemExit(f"hub process exited with {processors.returncode}: see {work / 'process.log'}")
        if connected is None and connector.poll() is not None:
            if connector.returncode != 0:
                raise SystemExit(f"hub connect file exited with {connector.returncode}: see {work / 'connect.log'}")
            connected = time.perf_counter() - began
        if connected is not None and group_lag(settings, settings.processors.app_id, topics) == 0:
            return connected, time.perf_counter() - began, processors
        time.sleep(0.25)


def trickle_record(tag: str, i: int) -> CivilAffairsRecord:
    """A new resident: a civil-affairs record with a resident ID no one in the city holds."""
    born = TRICKLE_BIRTH + timedelta(days=i // 500)
    return CivilAffairsRecord(record_id=f"MZ-{tag}-{i}", updated_at=datetime.now(CST), name=f"测试{i}",
                              id_number=resident_id("330106", born, i % 500), birth_date=born,
                              residence_address="浙江省杭州市西湖区文三路90号")


async def latencies(settings: HubSettings, tag: str, count: int, rate: float) -> list[float]:
    """Seconds from publishing each trickled record until the window's reader finds its citizen."""
    redis = Redis.from_url(settings.redis_url)
    reader = ReadModel(redis, RedisKeys(settings.processors.redis_prefix),
                       settings.citizen_id_key.get_secret_value().encode("utf-8"))
    publisher = DepartmentPublisher(settings, "civil_affairs")
    pending: dict[str, float] = {}
    found: list[float] = []
    try:
        sent, began = 0, time.perf_counter()
        while sent < count or pending:
            now = time.perf_counter()
            if sent < count and now >= began + sent / rate:
                record = trickle_record(tag, sent)
                publisher.publish(record)
                publisher.flush()  # acknowledged one at a time: no batching in the connector's producer
                assert record.id_number is not None
                pending[record.id_number] = now
                sent += 1
            for id_number, at in list(pending.items()):
                if await reader.by_id_number_around(id_number, employer=False, household=False):
                    found.append(time.perf_counter() - at)
                    del pending[id_number]
            if time.perf_counter() - now > 120:
                raise SystemExit(f"{len(pending)} trickled residents never reached the window")
            await asyncio.sleep(0.01)
    finally:
        publisher.close()
        await redis.aclose()  # type: ignore[attr-defined]
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--trickle", type=int, default=100, help="residents published one by one after the backlog")
    parser.add_argument("--rate", type=float, default=5.0, help="trickled residents a second")
    args = parser.parse_args()
    ensure_up()
    tag = f"e{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = isolated_env(tag)
        env["HUB_CONNECTORS__STATE_DIR"] = os.environ["HUB_CONNECTORS__STATE_DIR"] = str(work / "checkpoints")
        settings = load_settings()
        generate(args.persons, 5, work / "city", deltas=3)
        files = expand_inputs([work / "city"])
        prepare(settings)
        print(f"load: {os.getloadavg()[0]:.2f} (1 min) at the start")
        connected, drained, processors = end_to_end(settings, env, files, work)
        rows = rows_in(settings)
        print(f"city: {args.persons} persons, {rows} events on the department topics ({len(files)} files)")
        print(f"end to end, files to lag 0: {rows / drained:,.0f} rows/s ({drained:.1f} s); the connector alone "
              f"took {connected:.1f} s ({rows / connected:,.0f} rows/s)")
        print(f"raw consume + Avro decode of the same topics: {raw_rate(settings, rows):,.0f} events/s")
        try:
            found = asyncio.run(latencies(settings, tag, args.trickle, args.rate))
        finally:
            rss = peak_rss_mb(processors.pid)
            processors.terminate()
            processors.wait(timeout=120)
        p50 = percentile(found, 0.5) * 1000
        print(f"event to window ({len(found)} residents at {args.rate:g}/s): p50 {p50:.0f} ms, "
              f"p99 {percentile(found, 0.99) * 1000:.0f} ms, max {max(found) * 1000:.0f} ms, "
              f"mean {statistics.fmean(found) * 1000:.0f} ms")
        print(f"processors' peak RSS: {rss:.0f} MB; load: {os.getloadavg()[0]:.2f} (1 min) at the end")


if __name__ == "__main__":
    main()
