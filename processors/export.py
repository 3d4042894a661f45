"""`hub export masters`: the read model's master citizens in the shape of `hub resolve --masters`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from redis.asyncio import Redis

from hub.readmodel.store import RedisKeys, master_rows
from hub.settings import HubSettings


async def _rows(settings: HubSettings) -> list[bytes]:
    redis = Redis.from_url(settings.redis_url)
    try:
        rows = await master_rows(redis, RedisKeys(settings.processors.redis_prefix))
    finally:
        await redis.aclose()  # type: ignore[attr-defined]
    return [orjson.dumps(row) for row in rows]


def export_masters(settings: HubSettings, out: Path) -> int:
    """Write one JSON line per live master citizen, sorted by citizen id; return how many."""
    lines = asyncio.run(_rows(settings))
    with out.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line.decode("utf-8"))
            handle.write("\n")
    return len(lines)
