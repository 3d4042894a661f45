"""`/ops`: the ops page of `hub serve` — lag and freshness over time, statuses in colour, dead letters by reason.

The charting library (uPlot, MIT, vendored from npm into hub/ops/static/) is served by the hub itself: the
page works on a network without a CDN. `/ops/data` is the page's JSON, computed like `hub lag` (and adding a
sample to the window as it does); the page polls it every few seconds.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from redis import Redis
from starlette.concurrency import run_in_threadpool

from hub.ops.counters import DeadLetterTally
from hub.ops.errors import OpsError
from hub.ops.freshness import activity, age_history, keep_samples
from hub.ops.keys import OpsKeys
from hub.ops.lag import collect
from hub.ops.samples import SampleStore
from hub.settings import HubSettings

STATIC = Path(__file__).with_name("static")
FILES = {"uPlot.iife.min.js": "text/javascript", "uPlot.min.css": "text/css", "ops.js": "text/javascript",
         "uPlot.LICENSE": "text/plain"}


class UnknownStaticFileError(OpsError):
    """A static file the ops page does not serve."""


def page_data(settings: HubSettings, redis: Redis, tally: DeadLetterTally) -> dict[str, Any]:
    now = time.time()
    report = collect(settings, redis, now=now)
    store = SampleStore(redis, settings.processors.redis_prefix, settings.ops.lag_keep_s)
    groups = []
    for g in report.groups:
        by_time: dict[float, int] = defaultdict(int)
        for p in g.partitions:
            for s in store.history(g.group, p.topic, p.partition):
                by_time[s.at] += s.lag
        times = sorted(by_time)
        groups.append({
            "group": g.group, "status": g.status.value, "total_lag": g.total_lag, "state": g.state,
            "members": g.members, "max_lag_seconds": g.max_lag_seconds,
            "partitions": [{**p.model_dump(mode="json"), "evidence": p.evidence} for p in g.partitions],
            "series": [times, [by_time[t] for t in times]],
        })
    keys = OpsKeys(settings.processors.redis_prefix)
    found = activity(settings, now=now)
    keep_samples(redis, keys, found, now, settings.ops.lag_keep_s)
    sources = []
    for a in found:
        history = age_history(redis, keys, a.source)
        sources.append({**a.model_dump(mode="json"),
                        "series": [[t for t, _ in history], [age for _, age in history]]})
    letters = [{"source": s, "reason": r, "count": n} for (s, r), n in tally.refresh(settings).most_common()]
    return {"observed_at": now, "groups": groups, "sources": sources, "dead_letters": letters}


def page_router(settings: HubSettings, redis: Redis) -> APIRouter:
    router = APIRouter()
    tally = DeadLetterTally()

    @router.get("/ops", response_class=HTMLResponse, include_in_schema=False)
    async def ops_page() -> HTMLResponse:
        return HTMLResponse((STATIC / "ops.html").read_text(encoding="utf-8"))

    @router.get("/ops/data")
    async def ops_data() -> dict[str, Any]:
        return await run_in_threadpool(page_data, settings, redis, tally)

    @router.get("/ops/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        if name not in FILES:
            raise UnknownStaticFileError(f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=FILES[name])

    return router
