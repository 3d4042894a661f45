"""Reads of the Redis read model the processors write (`hub.readmodel.store`): nothing else.

Why its own module: the window must keep answering while Kafka, the registry or the processors
are down, so every read goes to Redis through these few calls and nowhere else; a Redis failure
becomes one specific error (503), never a 500.

One index the window needs is not written by the processors yet: `P idx:birth:<hmac>` (citizens
born on a date, keyed hash like the ID and phone indexes) for name + birth date searches.
`build_birth_index` backfills it from the citizen documents; `birth_index_key` is what
`hub.readmodel.store.index_keys` should add so it stays current.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.readmodel.store import RedisKeys, birth_index_key, keyed_hash
from hub.window.problems import ReadModelUnavailableError

T = TypeVar("T")
MAX_REDIRECTS: Final = 8


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


async def guarded(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except (RedisError, OSError) as exc:
        raise ReadModelUnavailableError("the read model (Redis) did not answer") from exc


class ReadModel:
    def __init__(self, redis: Redis, keys: RedisKeys, secret: bytes) -> None:
        self.redis = redis
        self.keys = keys
        self.secret = secret

    async def _members(self, key: str) -> list[str]:
        return sorted(_text(m) for m in await guarded(lambda: self.redis.smembers(key)))

    async def citizen(self, cid: str) -> tuple[dict[str, Any] | None, str | None]:
        """The citizen document of `cid`, following redirects of ids retired by a merge.

        Returns (document, the id asked for when it was redirected)."""
        current, redirected = cid, None
        for _ in range(MAX_REDIRECTS):
            doc = await guarded(lambda c=current: self.redis.get(self.keys.citizen(c)))  # type: ignore[misc]
            if doc is not None:
                return orjson.loads(doc), redirected
            survivor = await guarded(lambda c=current: self.redis.get(self.keys.redirect(c)))  # type: ignore[misc]
            if survivor is None:
                return None, None
            redirected, current = cid, _text(survivor)
        return None, None

    async def citizens(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        docs = await guarded(lambda: self.redis.mget([self.keys.citizen(c) for c in ids]))
        return [orjson.loads(d) for d in docs if d is not None]

    async def by_id_number(self, id_number: str) -> list[str]:
        return await self._members(self.keys.index("idnum", keyed_hash(self.secret, "id", id_number)))

    async def by_phone(self, digits: str) -> list[str]:
        return await self._members(self.keys.index("phone", keyed_hash(self.secret, "phone", digits)))

    async def by_birth_date(self, iso: str) -> list[str]:
        return await self._members(birth_index_key(self.keys, self.secret, iso))

    async def residents(self, address_id: str) -> list[str]:
        return await self._members(self.keys.index("address", address_id))

    async def record(self, ref: str) -> dict[str, Any] | None:
        """A department record (latest version) the engine keeps, by `source/record_id`."""
        data = await guarded(lambda: self.redis.hget(self.keys.records, ref))
        return orjson.loads(data) if data is not None else None

    async def organization_id(self, credit_code: str) -> str | None:
        found = await guarded(lambda: self.redis.get(self.keys.index("credit", credit_code)))
        return _text(found) if found is not None else None


async def build_birth_index(redis: Redis, keys: RedisKeys, secret: bytes, *, chunk: int = 1000) -> int:
    """Backfill `idx:birth` from every live citizen document; how many citizens were indexed."""
    ids = sorted(_text(m) for m in await redis.smembers(keys.citizens))
    done = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        docs = await redis.mget([keys.citizen(c) for c in part])
        pipe = redis.pipeline(transaction=False)
        for cid, doc in zip(part, docs, strict=True):
            if doc is None:
                continue
            born = orjson.loads(doc).get("fields", {}).get("birth_date", {}).get("value")
            if isinstance(born, str):
                pipe.sadd(birth_index_key(keys, secret, born), cid)
                done += 1
        await pipe.execute()
    return done
