"""The keyed-hash indexes in hash buckets (`hub.readmodel.store.index_slot`), on a real redis-server:
adds and removes are idempotent, members stay sorted, an emptied slot goes, a bucket stays a listpack."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from hub.readmodel.store import (
    BatchWrite,
    RedisKeys,
    index_slot,
    place_slot,
    slot_members,
    write_batch,
    write_bulk,
)
from hub.window.reader import ReadModel

SECRET = b"test-key"


def test_slots_move_like_sets_and_the_window_reads_them(redis_url: str) -> None:
    keys = RedisKeys("slots-test:")
    a = index_slot(keys, SECRET, "idnum", "330106198503121234")
    b = index_slot(keys, SECRET, "phone", "13912345678")

    async def check() -> list[object]:
        redis = Redis.from_url(redis_url)
        reader = ReadModel(redis, keys, SECRET)
        seen: list[object] = []
        try:
            first = BatchWrite()
            first.move("C-b", set(), {a, b})
            first.move("C-a", set(), {a})
            for _ in range(2):  # redelivered: the same state
                await write_batch(redis, keys, first)
                seen.append((await reader.by_id_number("330106198503121234"), await reader.by_phone("13912345678")))
            second = BatchWrite()
            second.move("C-b", {a, b}, set())
            await write_bulk(redis, keys, second)
            seen.append((await reader.by_id_number("330106198503121234"), await reader.by_phone("13912345678")))
            seen.append(slot_members(await redis.hget(b.bucket, b.field)))
            seen.append(await redis.hexists(b.bucket, b.field))
        finally:
            await redis.delete(a.bucket, b.bucket, keys.format, keys.written_at)
            await redis.aclose()  # type: ignore[attr-defined]
        return seen

    assert asyncio.run(check()) == [(["C-a", "C-b"], ["C-b"]), (["C-a", "C-b"], ["C-b"]), (["C-a"], []), [], False]


def test_a_slot_is_keyed_and_short() -> None:
    keys = RedisKeys("hub:")
    slot = index_slot(keys, SECRET, "idnum", "330106198503121234")
    other = index_slot(keys, b"another-key", "idnum", "330106198503121234")
    assert slot.bucket.startswith("hub:idx:idnum:") and len(slot.bucket) == len("hub:idx:idnum:") + 3
    assert len(slot.field) == 10 and slot != other
    assert index_slot(keys, SECRET, "phone", "330106198503121234") != slot  # kinds are hashed apart


def test_a_full_bucket_is_one_listpack(redis_url: str) -> None:
    keys = RedisKeys("slots-listpack:")

    async def check() -> tuple[bytes, int]:
        redis = Redis.from_url(redis_url)
        batch = BatchWrite()
        for i in range(20_000):  # about 5 per bucket of 4096
            batch.move(f"C-{i:06d}", set(), {index_slot(keys, SECRET, "idnum", f"id{i}")})
        try:
            await write_bulk(redis, keys, batch)
            bucket = index_slot(keys, SECRET, "idnum", "id0").bucket
            return await redis.object("encoding", bucket), int(await redis.hlen(bucket))
        finally:
            async for key in redis.scan_iter(match="slots-listpack:*", count=1000):
                await redis.unlink(key)
            await redis.aclose()  # type: ignore[attr-defined]

    encoding, entries = asyncio.run(check())
    assert encoding == b"listpack" and entries >= 1


def test_places_are_found_by_their_text(redis_url: str) -> None:
    keys = RedisKeys("places-test:")
    places = {f"上城区解放路{i}号": f"A-{i % 700:04d}" for i in range(3000)}

    async def check() -> tuple[list[str], set[bytes]]:
        redis = Redis.from_url(redis_url)
        try:
            await write_bulk(redis, keys, BatchWrite(places=places))
            slots = [place_slot(keys, text) for text in places]
            found = [(await redis.hget(s.bucket, s.field)).decode() for s in slots]  # type: ignore[union-attr]
            encodings = {await redis.object("encoding", s.bucket) for s in slots}
            return found, encodings
        finally:
            async for key in redis.scan_iter(match="places-test:*", count=1000):
                await redis.unlink(key)
            await redis.aclose()  # type: ignore[attr-defined]

    found, encodings = asyncio.run(check())
    assert found == list(places.values()) and encodings == {b"listpack"}
