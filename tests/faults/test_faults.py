"""Faults while a city streams: nothing lost, nothing changed, nothing left behind.

Each scenario streams the session's generated city (`hub generate`, 20,000 persons by default) through
`hub connect file` and `hub process`, real subprocesses on the real broker, registry and Redis, hits one
fault in the middle, and then checks the three things an operator must be able to count on:

- the masters `hub export masters` writes are byte-identical to `hub resolve --masters` on the same files
  (an undisturbed streamed run equals it: tests/integration/test_pipeline.py);
- no input row is missing: the department topics hold the event id of every good row and the dead-letter
  topics a dead letter for every bad one (tests/faults/ledger.py);
- the processors end at lag 0 on the department topics and the resolve topic.

The faults are done the way an operator would do them: `kill -9` of a process, `hub infra stop|start`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.checkpoints import CheckpointStore
from connectors.file_connector import FileCheckpoint
from hub.contract.sources import SOURCES
from hub.settings import HubSettings
from tests.faults.conftest import City
from tests.faults.harness import Scenario, broker_answers, environ, infra
from tests.faults.ledger import delivered

pytestmark = pytest.mark.faults

#: How long Kafka and the registry stay down (the issue's figure).
OUTAGE_S = 20.0
#: Share of the city's masters in Redis before a fault hits the processors: into the stream, far from its end.
WRITTEN_FIRST = 0.15


@pytest.fixture
def scenario(city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    s = Scenario(city.files, tmp_path, environ(), monkeypatch.setenv)
    yield s
    s.cleanup()  # a failed scenario leaves no process behind


def mid_stream(s: Scenario, city: City) -> int:
    """Wait until the processors have written masters and still have a backlog; the lag at that moment."""
    first = int(city.reference.count(b"\n") * WRITTEN_FIRST)
    s.wait_until(f"{first} masters written", lambda: s.citizens_written() >= first)
    assert s.offsets is not None
    lag = s.offsets.lag()
    assert lag > 0, "the processors finished before the fault: make the city larger"
    return lag


def check(s: Scenario, city: City, what: str, *, resent_allowed: bool = False) -> None:
    """Drain, stop the processors cleanly, and check masters, rows and lag."""
    took = s.drain()
    s.finish()
    lag = s.final_lag()
    exported = s.export()
    got = delivered(s.settings)
    missing_ids, missing_bad = got.missing(city.ledger)
    extra_ids, extra_bad = got.unexpected(city.ledger)
    lines = exported.count(b"\n")
    print(f"\n{what}: drained {took:.0f}s after the fault; processor exits {s.processors.exits}; connector runs "
          f"{s.connector_runs}; rows {city.ledger.rows} = {city.ledger.good_rows} good + {len(city.ledger.bad)} bad; "
          f"topics: {got.events} events ({len(got.event_ids)} distinct ids), {got.dead_letters} dead letters; "
          f"masters {lines} ({len(exported)} bytes); lag {lag}")
    assert lag == 0
    assert not missing_ids and not missing_bad, f"{len(missing_ids)} events, {len(missing_bad)} dead letters missing"
    assert not extra_ids and not extra_bad, f"{len(extra_ids)} events, {len(extra_bad)} dead letters unexpected"
    if not resent_allowed:  # only a connector crash may send a row twice (same event id); never otherwise
        assert (got.events, got.dead_letters) == (city.ledger.good_rows, len(city.ledger.bad))
    assert exported == city.reference, f"{what}: the exported masters differ from `hub resolve --masters`"


def test_processor_sigkill_mid_stream_and_restart(scenario: Scenario, city: City) -> None:
    s = scenario
    s.start()
    lag = mid_stream(s, city)
    s.processors.kill()
    print(f"\nkilled hub process (SIGKILL) at lag {lag} with {s.citizens_written()} masters written")
    s.processors.start()
    check(s, city, "processor SIGKILL")


def stopped_mid_stream(s: Scenario, city: City, service: str, name: str) -> None:
    """Stop `service` halfway through the city for OUTAGE_S while the workers keep going, then start it."""
    env = environ()
    s.start()
    lag = mid_stream(s, city)
    infra("stop", service, env=env)
    stopped = time.monotonic()
    print(f"\nstopped {name} at lag {lag} with {s.citizens_written()} masters written")
    while time.monotonic() - stopped < OUTAGE_S:
        s.watch()
        time.sleep(0.5)
    infra("start", service, env=env)


def test_broker_stopped_20s_mid_stream(scenario: Scenario, city: City) -> None:
    stopped_mid_stream(scenario, city, "kafka", "Kafka")
    assert broker_answers(scenario.settings)
    check(scenario, city, "Kafka stopped for 20 s")


def test_connector_sigkill_mid_file_and_rerun(scenario: Scenario, city: City) -> None:
    s = scenario
    s.start()
    first = city.files[0]  # the largest file, published first
    topic = s.settings.topics.dept(_source_of(first))
    assert s.offsets is not None
    s.wait_until("a tenth of the first file published", lambda: s.offsets is not None
                 and s.offsets.ends([topic]) > 2000, timeout=120)
    s.connector.kill()
    store = CheckpointStore(s.work / "checkpoints")
    saved = store.load(f"file:{first}", FileCheckpoint)
    size = first.stat().st_size
    assert saved is None or saved.offset < size, "the connector finished the file before it was killed"
    print(f"\nkilled the connector (SIGKILL) at byte {saved.offset if saved else 0} of {size} of {first.name}")
    s.rerun_connector()
    check(s, city, "connector SIGKILL", resent_allowed=True)


def test_redis_restarted_mid_stream(scenario: Scenario, city: City) -> None:
    s = scenario
    env = environ()
    s.start()
    lag = mid_stream(s, city)
    infra("stop", "redis", env=env)  # SIGTERM: Redis writes its AOF and exits
    print(f"\nstopped Redis at lag {lag}")
    for _ in range(10):
        s.watch()
        time.sleep(0.5)
    infra("start", "redis", env=env)
    check(s, city, "Redis restarted")


def test_registry_stopped_20s_mid_stream(scenario: Scenario, city: City) -> None:
    stopped_mid_stream(scenario, city, "registry", "the registry")
    check(scenario, city, "registry stopped for 20 s")


def test_redis_persistence_is_on(infra: HubSettings) -> None:
    """The restart above relies on it: append-only file on, fsync every second, RDB snapshots as well."""
    import redis

    client = redis.Redis.from_url(infra.redis_url)
    assert client.config_get("appendonly")["appendonly"] == "yes"
    assert client.config_get("appendfsync")["appendfsync"] in ("everysec", "always")
    assert client.config_get("save")["save"]


def _source_of(path: Path) -> str:
    from connectors.formats import detect_source

    source = detect_source(path)
    assert source in SOURCES
    return source
