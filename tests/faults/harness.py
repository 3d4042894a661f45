"""One fault scenario: a city namespace of its own, the connector and the processors as real subprocesses.

A scenario gets fresh topics, consumer group, resolve topic, Redis prefix and connector checkpoints (the
shared broker and Redis stay up), streams the session's city through `hub connect file` and `hub process`
at the same time, lets the test hit one fault mid-stream, and waits for zero lag. The processors run under
a supervisor loop that restarts them when they exit on their own with a failure, as the production
compose file's `restart: unless-stopped` does; every restart is counted and logged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis
from confluent_kafka import Consumer, KafkaException, TopicPartition

from hub.contract.sources import SOURCES
from hub.settings import HubSettings, load_settings
from tests.integration.isolation import live_citizen_count, tagged_topics_env

HUB = str(Path(sys.executable).parent / "hub")


def namespace_env(tag: str, state_dir: Path) -> dict[str, str]:
    """HUB_* variables that give a scenario its own city namespace on the shared broker and Redis."""
    return {
        **tagged_topics_env(tag),
        "HUB_PROCESSORS__APP_ID": f"{tag}-processors",
        "HUB_PROCESSORS__RESOLVE_TOPIC": f"{tag}.resolve.v1",
        "HUB_PROCESSORS__REDIS_PREFIX": f"{tag}:",
        "HUB_PROCESSORS__COMMIT_INTERVAL_S": "0.5",
        # stage 2 writes the backlog in a dozen batches, not one or two: a fault lands between writes
        "HUB_PROCESSORS__BATCH_MAX": "5000",
        "HUB_CONNECTORS__STATE_DIR": str(state_dir),
    }


@dataclass
class Supervised:
    """A subprocess restarted when it exits non-zero on its own (not when the test killed it)."""

    argv: list[str]
    env: dict[str, str]
    log: Path
    restart_on_failure: bool
    proc: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)  # exit codes of runs that ended by themselves

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()

    def check(self) -> int | None:
        """The exit code once the process ended by itself and is not restarted; restarts it otherwise."""
        assert self.proc is not None
        code = self.proc.poll()
        if code is None:
            return None
        self.exits.append(code)
        if code != 0 and self.restart_on_failure:
            assert len(self.exits) <= 5, f"{self.argv[1:3]} kept failing: {self.exits}\n{self.tail()}"
            self.start()
            return None
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=90)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


class Offsets:
    """Committed offsets and high watermarks of the scenario's group, from one long-lived consumer."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.consumer = Consumer({**settings.kafka_client_config(), "group.id": settings.processors.app_id,
                                  "enable.auto.commit": False})
        self.dept = [settings.topics.dept(s) for s in SOURCES]

    def _partitions(self, topics: list[str]) -> list[TopicPartition]:
        metadata = self.consumer.list_topics(timeout=10)
        return [TopicPartition(t, p) for t in topics if t in metadata.topics
                for p in metadata.topics[t].partitions]

    def ends(self, topics: list[str]) -> int:
        return sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in self._partitions(topics))

    def lag(self) -> int:
        """Uncommitted events of the group on the department topics and the resolve topic; -1 while the broker
        cannot say (just restarted: partitions without a leader yet)."""
        try:
            tps = self._partitions([*self.dept, self.settings.processors.resolve_topic])
            total = 0
            for tp in self.consumer.committed(tps, timeout=10):
                low, high = self.consumer.get_watermark_offsets(tp, timeout=10)
                total += high - (tp.offset if tp.offset >= 0 else low)
            return total
        except KafkaException:
            return -1

    def close(self) -> None:
        self.consumer.close()


class Scenario:
    """One city namespace streamed through the connector and the processors, with one fault in the middle."""

    def __init__(self, files: list[Path], work: Path, base_env: dict[str, str], monkeypatch_setenv:
                 Callable[[str, str], None]) -> None:
        tag = f"f{uuid.uuid4().hex[:8]}"
        work.mkdir(parents=True, exist_ok=True)
        values = namespace_env(tag, work / "checkpoints")
        for key, value in values.items():
            monkeypatch_setenv(key, value)
        self.env = {**base_env, **values}
        self.files = files
        self.work = work
        self.settings = load_settings()
        self.store = redis.Redis.from_url(self.settings.redis_url)
        self.connector = Supervised([HUB, "connect", "file", "auto", *map(str, files), "--checkpoint-interval",
                                     "0.2"], self.env, work / "connector.log", restart_on_failure=False)
        self.processors = Supervised([HUB, "process"], self.env, work / "processors.log", restart_on_failure=True)
        self.offsets: Offsets | None = None
        self.connector_runs = 1

    def start(self) -> None:
        from processors.setup import prepare

        prepare(self.settings)  # topics, the resolve topic and the schemas, as `hub process` does at start
        self.offsets = Offsets(self.settings)
        self.connector.start()
        self.processors.start()

    def citizens_written(self) -> int:
        return live_citizen_count(self.store, self.settings.processors.redis_prefix)

    def wait_until(self, what: str, condition: Callable[[], bool], timeout: float = 300) -> None:
        """Poll `condition` while both processes are watched; fail with their logs on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            self.watch()
            assert time.monotonic() < deadline, f"{what}: not reached in {timeout:g}s\n{self.logs()}"
            time.sleep(0.2)

    def watch(self) -> None:
        """Restart failed processors; a connector that ended in failure is an error unless the test reruns it."""
        self.processors.check()
        code = self.connector.check()
        assert code in (None, 0), f"connector exited {code}\n{self.connector.tail()}"

    def rerun_connector(self) -> None:
        """An operator's rerun of the same command: it goes on from its checkpoints."""
        self.connector.start()
        self.connector_runs += 1

    def drain(self, timeout: float = 600) -> float:
        """Wait until the connector finished and the processors committed everything; seconds it took."""
        began = time.monotonic()
        self.wait_until("connector done", lambda: self.connector.proc is not None
                        and self.connector.proc.poll() is not None, timeout)
        assert self.offsets is not None
        self.wait_until("zero lag", lambda: self.offsets is not None and self.offsets.lag() == 0, timeout)
        return time.monotonic() - began

    def finish(self) -> None:
        code = self.processors.stop()
        assert code == 0, f"hub process exited {code} on SIGTERM\n{self.processors.tail()}"
        if self.offsets is not None:
            self.offsets.close()

    def cleanup(self) -> None:
        for proc in (self.connector.proc, self.processors.proc):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=20)

    def export(self) -> bytes:
        out = self.work / "masters.jsonl"
        subprocess.run([HUB, "export", "masters", "--out", str(out)], env=self.env, check=True,
                       capture_output=True)
        return out.read_bytes()

    def final_lag(self) -> int:
        from hub.wire.lag import group_lag

        topics = [*(self.settings.topics.dept(s) for s in SOURCES), self.settings.processors.resolve_topic]
        return group_lag(self.settings, self.settings.processors.app_id, topics)

    def logs(self) -> str:
        return (f"-- connector:\n{self.connector.tail(2000)}\n-- processors (exits {self.processors.exits}):\n"
                f"{self.processors.tail()}")


def infra(*args: str, env: dict[str, str]) -> str:
    """`hub infra ...` as an operator types it; its output."""
    done = subprocess.run([HUB, "infra", *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def broker_answers(settings: HubSettings) -> bool:
    from hub.wire.topics import admin_client

    try:
        return bool(admin_client(settings).list_topics(timeout=3).brokers)
    except KafkaException:
        return False


def environ() -> dict[str, str]:
    return dict(os.environ)
