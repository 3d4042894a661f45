"""Two cities in one hub, through the real connectors, broker, registry and Redis: each city's export equals
`hub resolve --masters` on that city's files, byte for byte, and two workers own one city's partition each."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from citygen.engine import generate
from hub.contract.sources import SOURCES
from hub.settings import HubSettings, load_settings
from hub.wire.lag import group_lag
from hub.wire.topics import admin_client, existing_topics
from processors.setup import prepare
from tests.integration.isolation import isolated_hub_env, live_citizen_count

pytestmark = pytest.mark.integration

HUB = [str(Path(sys.executable).parent / "hub")]
CITIES = ("330100", "310100")  # the generator's gazetteer has one Zhejiang city; Shanghai stands in for 宁波
OWNED = re.compile(r"\[(\d+)\] \[INFO\] resolve partitions of this worker: \[([\d, ]*)\]")


@pytest.fixture
def env(infra: HubSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Own topics, group, Redis prefix and connector checkpoints; the hub serves both cities."""
    values = {**isolated_hub_env("c"), "HUB_CITIES": ",".join(CITIES), "HUB_PROCESSORS__LOGLEVEL": "INFO",
              "HUB_CONNECTORS__STATE_DIR": str(tmp_path / "checkpoints")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield {**os.environ, **values}


def resolve_partitions(log: Path, procs: list[subprocess.Popen[bytes]]) -> list[set[int]]:
    """The resolve-topic partitions each worker owns, from the last assignment it logged (the group's
    description does not show them: confluent-kafka cannot read faust's member assignment)."""
    owned: dict[int, set[int]] = {}
    for pid, parts in OWNED.findall(log.read_text(errors="replace")):
        owned[int(pid)] = {int(n) for n in parts.split(",") if n.strip()}
    return sorted((owned.get(proc.pid, set()) for proc in procs), key=sorted)


def wait(until: str, check: Callable[[], bool], procs: list[subprocess.Popen[bytes]], log: Path,
         timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for proc in procs:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"{until} not reached:\n" + log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)


def test_two_cities_on_two_workers_each_equal_batch(env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    files: dict[str, list[str]] = {}
    for seed, city in enumerate(CITIES, start=41):
        folder = tmp_path / city
        generate(300, seed, folder, city=city, deltas=2)
        files[city] = sorted(str(p) for p in folder.iterdir() if p.is_file())
    prepare(settings)
    assert existing_topics(admin_client(settings), 10)[settings.processors.resolve_topic] == len(CITIES)

    def connect(delta: bool) -> None:
        for city in CITIES:  # each city's connector stamps its own code into the envelopes
            chosen = [f for f in files[city] if ("_2024" in Path(f).name) == delta]
            subprocess.run([*HUB, "connect", "file", "auto", *chosen], env={**env, "HUB_CITY_CODE": city},
                           check=True, capture_output=True)

    log = tmp_path / "process.log"
    topics = [settings.topics.dept(s) for s in SOURCES] + [settings.processors.resolve_topic]
    drained = lambda: group_lag(settings, settings.processors.app_id, topics) == 0  # noqa: E731
    connect(delta=False)  # the first exports, resolved by one worker owning both cities
    with log.open("ab") as handle:
        procs = [subprocess.Popen([*HUB, "process"], env=env, stdout=handle, stderr=subprocess.STDOUT)]
        wait("drained", drained, procs, log)
        # a second worker joins: the rebalance moves one city's engine to it
        procs.append(subprocess.Popen([*HUB, "process"], env=env, stdout=handle, stderr=subprocess.STDOUT))
    wait("one resolve partition each", lambda: resolve_partitions(log, procs) == [{0}, {1}], procs, log)
    connect(delta=True)  # the monthly deltas, each city's applied to an engine restored from its Redis state
    wait("drained", drained, procs, log)
    assert resolve_partitions(log, procs) == [{0}, {1}]
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(timeout=60) == 0, log.read_text(errors="replace")[-3000:]
    text = log.read_text(errors="replace")
    for proc in procs:  # after its last assignment, each worker restored its city's engine with records in it
        last = max(m.end() for m in OWNED.finditer(text) if int(m.group(1)) == proc.pid)
        assert any(int(n) > 0 for n in re.findall(rf"\[{proc.pid}\] \[INFO\] engine restored from Redis: (\d+) "
                                                  "records", text[last:])), text[-3000:]

    store = redis.Redis.from_url(settings.redis_url)
    for city in CITIES:
        streamed, batch = tmp_path / f"stream-{city}.jsonl", tmp_path / f"batch-{city}.jsonl"
        subprocess.run([*HUB, "export", "masters", "--city", city, "--out", str(streamed)], env=env, check=True)
        subprocess.run([*HUB, "resolve", "--city", city, *files[city], "--out", str(tmp_path / f"rows-{city}"),
                        "--masters", str(batch)], env=env, check=True, capture_output=True)
        expected = batch.read_bytes()
        assert expected.count(b"\n") > 250
        assert streamed.read_bytes() == expected, city
        own = settings.for_city(city)
        assert live_citizen_count(store, own.processors.redis_prefix) == expected.count(b"\n")
    assert settings.for_city(CITIES[1]).processors.redis_prefix != settings.processors.redis_prefix
