"""Who looked at a resident's data (the Estonian Data Tracker pattern), for 本人查询.

Why a per-citizen list beside the audit: the audit is one chain per writer, in time order, made
for verification; a resident asks "who looked at me", which needs an index by citizen. Each
answered request adds an entry to the lists of the citizens it disclosed (household members
included: they were shown too), after its audit event was written. Entries say when, which hall,
which purpose and which fields, never the case's content.

Redis layout (prefix `W`): `W seen:<citizen id>` a list, newest first, trimmed to the last N.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from redis.asyncio import Redis

from hub.window.reader import guarded
from hub.window.views import Disclosure


class Tracker:
    def __init__(self, redis: Redis, prefix: str, kept: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.kept = kept

    def _key(self, cid: str) -> str:
        return f"{self.prefix}seen:{cid}"

    async def record(self, at: datetime, hall: str | None, purpose: str | None,
                     disclosed: dict[str, dict[str, str]]) -> None:
        if not disclosed:
            return
        pipe = self.redis.pipeline(transaction=False)
        for cid, fields in sorted(disclosed.items()):
            entry = Disclosure(at=at, hall=hall, purpose=purpose, fields=sorted(fields))
            pipe.lpush(self._key(cid), entry.model_dump_json())
            pipe.ltrim(self._key(cid), 0, self.kept - 1)
        await guarded(pipe.execute)

    async def seen(self, cid: str, limit: int = 200) -> list[Disclosure]:
        rows = await guarded(lambda: self.redis.lrange(self._key(cid), 0, limit - 1))
        return [Disclosure.model_validate(orjson.loads(r)) for r in rows]
