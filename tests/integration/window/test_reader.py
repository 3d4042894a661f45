"""The ID lookup's one-round-trip script reads exactly what the window's rules ask for."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from hub.readmodel.codec import FORMAT
from hub.readmodel.store import INDEX_MOVE, RedisKeys, index_slot
from hub.settings import HubSettings
from hub.window.app import build_window
from hub.window.problems import ReadModelUnavailableError
from hub.window.purposes import Mode, default_policy
from hub.window.reader import ReadModel
from tests.integration.window.conftest import MemoryFeedback, MemorySink


@pytest.mark.parametrize("purpose", sorted(default_policy().purposes))
def test_the_script_fetches_what_around_reads(city: HubSettings, citizens: dict[str, Any], purpose: str) -> None:
    """For every citizen with an ID and every purpose: the extras built from the script's reply equal
    the extras read the other way (`around`, a pipeline), and the script's reply was used."""
    p = default_policy().purposes[purpose]

    async def check() -> int:
        window = build_window(city, redis=Redis.from_url(city.redis_url), audit_sink=MemorySink(),
                              feedback_sink=MemoryFeedback())
        real = window.reader.around
        calls: list[Any] = []

        async def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            return await real(*args, **kwargs)

        used = 0
        try:
            for doc in citizens.values():
                around = await window.reader.by_id_number_around(
                    doc["fields"]["id_number"]["value"], employer=p.mode("employer") is not Mode.HIDDEN,
                    household=p.mode("household") is not Mode.HIDDEN)
                assert [a.doc["citizen_id"] for a in around] == [doc["citizen_id"]]
                calls.clear()
                window.reader.around = counted  # type: ignore[method-assign]
                from_script = await window.extras(around[0].doc, p, around[0])
                window.reader.around = real  # type: ignore[method-assign]
                used += not calls
                assert from_script == await window.extras(around[0].doc, p), doc["citizen_id"]
        finally:
            await window.redis.aclose()  # type: ignore[attr-defined]
        return used

    used = asyncio.run(check())
    assert used == len(citizens), "the script's reply stood in for `around` every time"


def test_an_unknown_id_finds_nobody(city: HubSettings) -> None:
    async def check() -> list[Any]:
        window = build_window(city, redis=Redis.from_url(city.redis_url), audit_sink=MemorySink(),
                              feedback_sink=MemoryFeedback())
        try:
            return await window.reader.by_id_number_around("110101199001011237", employer=True, household=True)
        finally:
            await window.redis.aclose()  # type: ignore[attr-defined]

    assert asyncio.run(check()) == []


def test_a_document_in_another_format_is_refused_not_misread(redis_url: str) -> None:
    """A read model written before format 2 (JSON documents) answers 503 until rebuilt, by the script too."""
    keys, secret = RedisKeys("old-format-test:"), b"test-key"
    old = orjson.dumps({"citizen_id": "C-1", "records": [], "fields": {}, "contacts": [], "conflicts": []})
    slot = index_slot(keys, secret, "idnum", "110101199001011237")

    async def check() -> list[str]:
        redis = Redis.from_url(redis_url)
        reader = ReadModel(redis, keys, secret)
        refused: list[str] = []
        try:
            await redis.set(keys.citizen("C-1"), old)
            await redis.register_script(INDEX_MOVE)(keys=[slot.bucket], args=["+", slot.field, "C-1"])
            for call in (lambda: reader.citizen("C-1"),
                         lambda: reader.by_id_number_around("110101199001011237", employer=True, household=True)):
                with pytest.raises(ReadModelUnavailableError) as caught:
                    await call()
                refused.append(str(caught.value))
        finally:
            await redis.delete(keys.citizen("C-1"), slot.bucket)
            await redis.aclose()  # type: ignore[attr-defined]
        return refused

    assert asyncio.run(check()) == [f"stored citizen document is not in format {FORMAT}: rebuild the read model "
                                    "(hub rebuild)",
                                    "the read model (Redis) did not answer"]
