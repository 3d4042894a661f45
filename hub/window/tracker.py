"""Who looked at a resident's data (the Estonian Data Tracker pattern), for 本人查询.

Why a per-citizen list beside the audit: the audit is one chain per writer, in time order, made
for verification; a resident asks "who looked at me", which needs an index by citizen. Each
answered request adds an entry to the lists of the citizens it disclosed (household members
included: they were shown too), after its audit event was written. Entries say when, which hall,
which purpose and which fields, never the case's content.

Redis layout (prefix `W`): `W seen:<citizen id>` a list, newest first, trimmed to the last N.

Group commit, as the audit does: a request waits until its entries are written, but concurrent
requests share one pipeline (one round trip and one LTRIM per list per batch) instead of one each;
a pipeline per request was a seventh of an ID lookup's CPU (bench/window.py).
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime

import orjson
from redis.asyncio import Redis

from hub.window.reader import guarded
from hub.window.resp import RespConnection
from hub.window.views import Disclosure


class Tracker:
    """`lean`: the read model's auto-pipelined connection (`hub.window.resp`), used for the writes when
    given (redis-py's pipeline machinery was most of the tracker's cost); else redis-py's pipeline."""

    def __init__(self, redis: Redis, prefix: str, kept: int, lean: RespConnection | None = None) -> None:
        self.redis = redis
        self.lean = lean
        self.prefix = prefix
        self.kept = kept
        self._pending: list[tuple[list[tuple[str, str]], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def _key(self, cid: str) -> str:
        return f"{self.prefix}seen:{cid}"

    async def record(self, at: datetime, hall: str | None, purpose: str | None,
                     disclosed: dict[str, dict[str, str]]) -> None:
        if not disclosed:
            return
        # a `Disclosure` as its model writes it (`seen` reads it back through the model), without building one
        entries = [(self._key(cid), orjson.dumps({"at": at, "hall": hall, "purpose": purpose, "fields": sorted(fields)},
                                                 option=orjson.OPT_UTC_Z).decode("utf-8"))
                   for cid, fields in sorted(disclosed.items())]
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entries, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        await written

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            commands: list[tuple[str | int, ...]] = []
            lists: set[str] = set()
            for entries, _ in batch:  # in arrival order: each list stays newest first
                for key, entry in entries:
                    commands.append(("LPUSH", key, entry))
                    lists.add(key)
            commands.extend(("LTRIM", key, 0, self.kept - 1) for key in sorted(lists))
            try:
                await guarded(functools.partial(self._send, commands))
            except Exception as exc:  # ReadModelUnavailableError, or anything else: the requests see it
                for _, written in batch:
                    if not written.done():
                        written.set_exception(exc)
                continue
            for _, written in batch:
                if not written.done():
                    written.set_result(None)

    async def _send(self, commands: list[tuple[str | int, ...]]) -> None:
        if self.lean is not None:
            await self.lean.pipeline(commands)
            return
        pipe = self.redis.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        await pipe.execute()

    async def seen(self, cid: str, limit: int = 200) -> list[Disclosure]:
        rows = await guarded(lambda: self.redis.lrange(self._key(cid), 0, limit - 1))
        return [Disclosure.model_validate(orjson.loads(r)) for r in rows]
