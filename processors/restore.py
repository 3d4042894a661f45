"""Rebuild the engine from Redis when a worker takes over the single partition of hub.resolve.v1.

Why Redis and not a changelog-backed faust table: faust's changelog recovery has open bugs that
leave a worker stuck or wrong after a restart (#651 stuck in recovery when retention deletes
changelog segments, #597 cannot recover from an empty changelog partition, #176 restore error
after compaction). Redis is already the read model, written in the same MULTI/EXEC as the engine
state, so the state and the read model can never disagree; and because stage 2 is single-writer
(one partition per city, one owner at a time) nothing else writes that state while a worker restores it.
A restored engine is `add` of every latest record plus every address text and organization
mention ever seen, then one `resolve()`: the engine guarantees that equals the incremental state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from redis.asyncio import Redis

from hub.engine.mentions import OrgMention
from hub.engine.resolver import Resolver
from hub.engine.standardise.addresses import parse_address
from hub.readmodel.codec import StoredFormatError
from hub.readmodel.store import RedisKeys, check_format, scan_hash, scan_records, stored_texts
from hub.runtime.gc_pause import paused_gc
from processors.errors import CorruptStateError
from processors.records import org_from_json, record_from_stored

logger = logging.getLogger(__name__)


def restore_extras(resolver: Resolver, texts: Iterable[str], orgs: Iterable[OrgMention]) -> None:
    """Address texts and organization mentions of superseded versions (the engine keeps them all)."""
    city = resolver.state.city_code
    for text in sorted(texts):
        parsed = parse_address(text, city) if text not in resolver.state.addresses else None
        if parsed is not None:
            resolver.state.add_address(text, parsed)
    for org in sorted(orgs, key=lambda o: o.key):
        resolver.state.add_organization(org)


async def rebuild(redis: Redis, keys: RedisKeys, city_code: str, secret: bytes) -> Resolver:
    """A resolver holding exactly the state the previous owner of the partition committed."""
    started = time.perf_counter()
    try:
        await check_format(redis, keys)
    except StoredFormatError as exc:
        raise CorruptStateError(str(exc)) from None
    resolver = Resolver(city_code, secret)
    count = 0
    with paused_gc():  # the restored engine is long-lived: frozen out of the collector's walks
        async for ref, data in scan_records(redis, keys):
            resolver.add(record_from_stored(ref, data))
            count += 1
        try:
            texts = await stored_texts(redis, keys.texts)
        except StoredFormatError as exc:
            raise CorruptStateError(str(exc)) from None
        orgs = [org_from_json(data) async for _, data in scan_hash(redis, keys.org_mentions)]
        restore_extras(resolver, texts, orgs)
        resolver.resolve()
    logger.info("engine restored from Redis: %d records, %d masters in %.1fs",
             count, len(resolver.current.masters), time.perf_counter() - started)
    return resolver
