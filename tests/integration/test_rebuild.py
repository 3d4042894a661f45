"""`hub rebuild` builds the new read model beside the live one: the window keeps answering throughout."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from hub.readmodel.store import RedisKeys
from hub.settings import HubSettings, load_settings
from hub.window.reader import ReadModel
from processors.rebuild import rebuild, staging_prefix
from tests.integration.isolation import isolated_hub_env
from tests.integration.test_processors import (
    drained_and_stopped,
    export,
    start,
    stop,
    wait_drained,
    wait_joined,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def env(infra: HubSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    values = {**isolated_hub_env("r"), "HUB_PROCESSORS__BATCH_MAX": "300"}  # the replay in several batches too
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield {**os.environ, **values}


class WindowReader(threading.Thread):
    """Looks citizens up by resident ID through the window's reader, round and round, until stopped."""

    def __init__(self, settings: HubSettings, id_numbers: list[str]) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.id_numbers = id_numbers
        self.halt = threading.Event()
        self.lookups = 0
        self.misses: list[str] = []

    def run(self) -> None:
        asyncio.run(self._loop())

    async def _loop(self) -> None:
        client = AsyncRedis.from_url(self.settings.redis_url)
        reader = ReadModel(client, RedisKeys(self.settings.processors.redis_prefix),
                           self.settings.citizen_id_key.get_secret_value().encode("utf-8"))
        try:
            while not self.halt.is_set():
                for id_number in self.id_numbers:
                    if not await reader.by_id_number_around(id_number, employer=False, household=False):
                        self.misses.append(id_number)
                    self.lookups += 1
        finally:
            await client.aclose()  # type: ignore[attr-defined]


def test_the_window_answers_from_the_old_read_model_until_the_new_one_is_swapped_in(
        env: dict[str, str], tmp_path: Path) -> None:
    settings = load_settings()
    records, before = drained_and_stopped(env, settings, tmp_path, persons=400)
    id_numbers = sorted({row["id_number"] for row in before if row.get("id_number")})
    assert len(id_numbers) > 300

    store = redis.Redis.from_url(settings.redis_url)
    prefix = settings.processors.redis_prefix
    kept = f"{settings.window.redis_prefix}credential:probe-{prefix}"
    store.set(kept, b"a hall's credential")
    store.set(f"{staging_prefix(prefix)}citizen:left-by-a-crashed-rebuild", b"{}")
    reader = WindowReader(settings, id_numbers)
    reader.start()
    try:
        plan = rebuild(settings)
    finally:
        reader.halt.set()
        reader.join(timeout=30)
    print(f"\n{reader.lookups} window lookups during the rebuild, {len(reader.misses)} missed; {plan}")
    assert reader.lookups > len(id_numbers)  # the reader went round at least once while the rebuild ran
    assert reader.misses == []  # never an empty or half-built read model
    assert plan.events == len(records) and plan.installed_keys > 0 and plan.deleted_keys > 0
    assert store.get(kept) == b"a hall's credential"
    assert not list(store.scan_iter(match=f"{staging_prefix(prefix)}*"))
    assert export(env, tmp_path / "after.jsonl") == before

    # the processors go on from the snapshot: nothing to redo
    log = tmp_path / "worker.log"
    proc = start(env, log)
    wait_joined(settings, proc, log)
    wait_drained(settings, [proc], log)
    stop(proc, log)
    assert export(env, tmp_path / "resumed.jsonl") == before

