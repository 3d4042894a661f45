"""The stored records in hash buckets (`hub.readmodel.store.record_bucket`), on a real redis-server: the
window's Lua script finds the bucket Python wrote, a restore reads every record back, and with the hub's
`hash-max-listpack-value` a bucket is one listpack (with the default it is only larger, still read)."""

from __future__ import annotations

import asyncio
import hashlib

from redis.asyncio import Redis

from hub.infra.redis_server import HASH_MAX_LISTPACK_VALUE
from hub.readmodel.codec import decode_record, encode_record
from hub.readmodel.store import (
    ADDRESS_BUCKET_BITS,
    RECORD_BUCKET_BITS,
    BatchWrite,
    RedisKeys,
    address_slot,
    record_bucket,
    scan_records,
    write_batch,
    write_bulk,
)
from hub.window.reader import LOOKUP_AROUND, ReadModel
from tests.integration.window.conftest import _free_port, redis_server

SECRET = b"test-key"

#: `LOOKUP_AROUND`'s own bucket function, called alone: the bucket key of each text in ARGV[3..] under the
#: prefix ARGV[1], with ARGV[2] the divisor of the top 16 bits.
_LUA_BUCKETS = LOOKUP_AROUND.split("local function record")[0] + """
local out = {}
for i = 3, #ARGV do out[#out + 1] = bucket(ARGV[1], ARGV[i], tonumber(ARGV[2])) end
return out
"""


def _records(n: int) -> dict[str, bytes]:
    """Stored records of about the size of a real one (80-200 B: more than Redis's default 64)."""
    def one(i: int) -> bytes:
        noise = hashlib.sha256(str(i).encode()).hexdigest()
        return encode_record({"updated_at": "2024-01-01T00:00:00+08:00", "name": f"李{noise[:2]}",
                              "id_number": str(int(noise[:15], 16))[:18], "phone": str(int(noise[15:25], 16))[:11],
                              "residence_address": f"浙江省杭州市上城区解放路{i}号{noise[30:38]}"})
    return {f"civil_affairs/MZ{i:09d}": one(i) for i in range(n)}


def test_lua_and_python_agree_on_the_bucket(redis_url: str) -> None:
    keys = RedisKeys("buckets-lua:")
    refs = [*_records(500), "hrss/1722301430", "tax/T330100984710718", "commerce/91330108MA0FD7AM4Q"]
    places = [f"A-{i:08x}" for i in range(0, 2**32, 2**32 // 300)]

    async def check(prefix: str, bits: int, texts: list[str]) -> list[str]:
        redis = Redis.from_url(redis_url)
        try:
            found = await redis.eval(_LUA_BUCKETS, 0, prefix, 1 << (16 - bits), *texts)  # type: ignore[misc]
            return [b.decode() for b in found]
        finally:
            await redis.aclose()  # type: ignore[attr-defined]

    assert asyncio.run(check(f"{keys.records}:", RECORD_BUCKET_BITS, refs)) == [record_bucket(keys, r) for r in refs]
    assert len({record_bucket(keys, ref) for ref in refs}) > 400  # spread over the buckets
    assert (asyncio.run(check(keys.index("address", ""), ADDRESS_BUCKET_BITS, places))
            == [address_slot(keys, a).bucket for a in places])


def test_records_are_read_back_by_the_window_and_the_restore(redis_url: str) -> None:
    keys = RedisKeys("buckets-read:")
    records = _records(3000)
    first = dict(list(records.items())[:1000])
    rest = dict(list(records.items())[1000:])

    async def check() -> tuple[dict[bytes, bytes], list[bool]]:
        redis = Redis.from_url(redis_url)
        reader = ReadModel(redis, keys, SECRET)
        try:
            await write_batch(redis, keys, BatchWrite(records=first))
            await write_bulk(redis, keys, BatchWrite(records=rest), commands=7)
            restored = {ref: data async for ref, data in scan_records(redis, keys, chunk=1000)}
            read = [await reader.record(ref) == decode_record(ref, records[ref]) for ref in list(records)[::97]]
            return restored, read
        finally:
            async for key in redis.scan_iter(match="buckets-read:*", count=1000):
                await redis.unlink(key)
            reader.close()
            await redis.aclose()  # type: ignore[attr-defined]

    restored, read = asyncio.run(check())
    assert restored == {ref.encode(): data for ref, data in records.items()}
    assert read and all(read)


def test_with_the_hub_config_a_bucket_is_one_listpack() -> None:
    port = _free_port()
    keys = RedisKeys("buckets-listpack:")
    records = _records(20_000)  # about 1.2 a bucket of 16,384: the largest ones decide the encoding

    async def check(url: str) -> set[bytes]:
        redis = Redis.from_url(url)
        try:
            await write_bulk(redis, keys, BatchWrite(records=records))
            return {await redis.object("encoding", record_bucket(keys, ref)) for ref in list(records)[::50]}
        finally:
            await redis.aclose()  # type: ignore[attr-defined]

    with redis_server(port, "--hash-max-listpack-value", str(HASH_MAX_LISTPACK_VALUE)):
        assert asyncio.run(check(f"redis://127.0.0.1:{port}/0")) == {b"listpack"}
    with redis_server(port):  # Redis's default: correct, every bucket a hashtable
        assert asyncio.run(check(f"redis://127.0.0.1:{port}/0")) == {b"hashtable"}
