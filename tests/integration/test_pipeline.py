"""The whole pipeline as departments and operators run it: exports → `hub connect file` (the real
connector: idempotent producer, lz4 batches, dead letters) → `hub process` → `hub export masters`,
equal to `hub resolve --masters` on the same files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from citygen.engine import generate
from hub.contract.sources import SOURCES
from hub.settings import HubSettings, load_settings
from hub.wire.lag import group_lag
from processors.setup import prepare
from tests.integration.isolation import isolated_hub_env

pytestmark = pytest.mark.integration

HUB = [sys.executable, "-c", "from hub.cli.main import main; main()"]


@pytest.fixture
def env(infra: HubSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Own topics, consumer group, Redis prefix and connector checkpoints for this test."""
    values = {**isolated_hub_env("p"), "HUB_CONNECTORS__STATE_DIR": str(tmp_path / "checkpoints")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield {**os.environ, **values}


def test_exports_through_connector_and_processors_equal_batch(env: dict[str, str], tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate(250, 21, city, deltas=2)
    settings = load_settings()
    prepare(settings)
    exports = sorted(str(p) for p in city.iterdir() if p.is_file())
    subprocess.run([*HUB, "connect", "file", "auto", *exports], env=env, check=True, capture_output=True)

    log = tmp_path / "process.log"
    with log.open("ab") as handle:
        worker = subprocess.Popen([*HUB, "process"], env=env, stdout=handle, stderr=subprocess.STDOUT)
    topics = [settings.topics.dept(s) for s in SOURCES] + [settings.processors.resolve_topic]
    deadline = time.monotonic() + 120
    time.sleep(2)
    while group_lag(settings, settings.processors.app_id, topics) > 0:
        assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "not drained:\n" + log.read_text(errors="replace")[-3000:]
        time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, log.read_text(errors="replace")[-3000:]

    streamed, batch = tmp_path / "stream.jsonl", tmp_path / "batch.jsonl"
    subprocess.run([*HUB, "export", "masters", "--out", str(streamed)], env=env, check=True)
    subprocess.run([*HUB, "resolve", *exports, "--out", str(tmp_path / "rows.jsonl"), "--masters", str(batch)],
                   env=env, check=True, capture_output=True)
    read = [orjson.loads(line) for line in streamed.read_text(encoding="utf-8").splitlines()]
    expected = [orjson.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    assert len(expected) > 200
    assert read == expected
