"""`/metrics` of `hub serve`: OpenMetrics for Prometheus, named as the exporters name them.

Everything is computed at scrape time by one collector (`HubCollector`) from Kafka (lag, end offsets,
newest event per department), Redis (what the processors recorded) and the dead-letter topics (tallied
incrementally), so a site without the processors' own metrics port still sees the whole pipeline. Every
scrape also adds a lag sample, so Prometheus scraping keeps the status window filled. Request latency of
the hub's own HTTP routes is measured in process by a middleware (`install`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
)
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.contract.errors import HubError
from hub.ops.counters import DeadLetterTally, read_recorded
from hub.ops.freshness import activity, keep_samples
from hub.ops.keys import OpsKeys
from hub.ops.lag import collect
from hub.ops.probe import partitions_of, topic_ends
from hub.ops.recorder import policy_version
from hub.ops.status import Status
from hub.settings import HubSettings
from hub.wire.topics import admin_client

logger = logging.getLogger(__name__)

STATES = [s.value for s in Status]


class HubCollector(Collector):
    def __init__(self, settings: HubSettings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis
        self.tally = DeadLetterTally()

    def collect(self) -> Iterator[Metric]:
        """Each part on its own: a scrape shows what it could read; the rest is missing, not wrong (and
        never a failed scrape: Kafka or Redis down is what operators need the figures for)."""
        for part in (self._lag, self._topics, self._recorded, self._dead_letters):
            try:
                yield from list(part())
            except (HubError, RedisError, OSError) as exc:
                logger.warning("metrics incomplete (%s): %s", part.__name__.strip("_"), type(exc).__name__)
        yield InfoMetricFamily("hub_policy", "Resolution policy version", value={"version": policy_version()})

    def _lag(self) -> Iterator[Metric]:
        report = collect(self.settings, self.redis)
        lag = GaugeMetricFamily("kafka_consumergroup_lag", "Events not yet committed by the group",
                                labels=["consumergroup", "topic", "partition"])
        secs = GaugeMetricFamily("kafka_consumergroup_lag_seconds", "Age of the oldest unprocessed event",
                                 labels=["consumergroup", "topic", "partition"], unit="seconds")
        committed = GaugeMetricFamily("kafka_consumergroup_current_offset", "Committed offset (absent: none)",
                                      labels=["consumergroup", "topic", "partition"])
        part_status = StateSetMetricFamily("hub_consumergroup_partition_status", "Burrow status of a partition",
                                           labels=["consumergroup", "topic", "partition"])
        group_status = StateSetMetricFamily("hub_consumergroup_status", "Burrow status of a group (worst partition)",
                                            labels=["consumergroup"])
        total = GaugeMetricFamily("kafka_consumergroup_lag_sum", "Total lag of the group", labels=["consumergroup"])
        for g in report.groups:
            group_status.add_metric([g.group], {s: s == g.status.value for s in STATES})
            total.add_metric([g.group], g.total_lag)
            for p in g.partitions:
                labels = [g.group, p.topic, str(p.partition)]
                lag.add_metric(labels, p.lag)
                if p.lag_seconds is not None:
                    secs.add_metric(labels, p.lag_seconds)
                if p.committed is not None:
                    committed.add_metric(labels, p.committed)
                part_status.add_metric(labels, {s: s == p.status.value for s in STATES})
        yield from (lag, secs, committed, part_status, group_status, total)

    def _topics(self) -> Iterator[Metric]:
        t = self.settings.topics
        roles = {t.master_citizen: "out", t.master_address: "out", t.master_organization: "out",
                 t.lifecycle: "out", t.conflicts: "out", t.audit: "audit"}
        admin = admin_client(self.settings)
        found = activity(self.settings, admin=admin)
        now = time.time()
        try:
            keep_samples(self.redis, OpsKeys(self.settings.processors.redis_prefix), found, now,
                         self.settings.ops.lag_keep_s)
        except (RedisError, OSError):
            logger.warning("freshness history not kept: Redis did not answer")
        parts = partitions_of(admin, roles, self.settings.request_timeout_s)
        ends = topic_ends(admin, parts, self.settings.request_timeout_s)
        events = CounterMetricFamily("hub_topic_events", "Events written to a hub topic (sum of end offsets)",
                                     labels=["topic", "direction"])
        for a in found:
            events.add_metric([a.topic, "in"], a.events)
        for topic, role in roles.items():
            if topic in parts and role == "out":
                events.add_metric([topic, "out"], sum(e for (tp, _), e in ends.end.items() if tp == topic))
        audit = CounterMetricFamily("hub_audit_events", "Audit events written (audit.access.v1)")
        audit.add_metric([], sum(e for (tp, _), e in ends.end.items() if tp == t.audit))
        last = GaugeMetricFamily("hub_source_last_event_timestamp_seconds", "Newest event of a department's topic",
                                 labels=["source"])
        cadence = GaugeMetricFamily("hub_source_cadence_seconds", "Expected export cadence", labels=["source"])
        silent = StateSetMetricFamily("hub_source_state", "SILENT when nothing arrived within the cadence",
                                      labels=["source"])
        for a in found:
            if a.last_event_at is not None:
                last.add_metric([a.source], a.last_event_at)
            cadence.add_metric([a.source], a.cadence_s)
            silent.add_metric([a.source], {"SILENT": a.silent, "FLOWING": not a.silent})
        yield from (events, audit, last, cadence, silent)

    def _recorded(self) -> Iterator[Metric]:
        rec = read_recorded(self.redis, self.settings.processors.redis_prefix)
        names = {"update_to_ingest": "hub_freshness_update_to_ingest",
                 "ingest_to_processing": "hub_freshness_ingest_to_processing",
                 "update_to_master": "hub_freshness_update_to_master"}
        families: dict[str, HistogramMetricFamily] = {}
        for h in rec.histograms:
            if h.name in names:
                name, label, doc = names[h.name], "source", f"Freshness hop {h.name}"
            elif h.name == "sink_write":
                name, label, doc = "hub_sink_write", "sink", "Processors' write latency per batch"
            else:
                continue
            fam = families.setdefault(name, HistogramMetricFamily(name, doc, labels=[label], unit="seconds"))
            fam.add_metric([h.label], h.cumulative(), sum_value=h.total)
        yield from families.values()
        processed = CounterMetricFamily("hub_processed_events", "Department events applied to the engine",
                                        labels=["source"])
        for source, n in rec.events.items():
            processed.add_metric([source], n)
        last = GaugeMetricFamily("hub_source_last_processed_timestamp_seconds", "Latest master write per department",
                                 labels=["source"])
        for source, at in rec.last_processed.items():
            last.add_metric([source], at)
        outcomes = CounterMetricFamily("hub_resolution_outcomes", "Resolution outcomes", labels=["outcome", "policy"])
        summed: dict[tuple[str, str], int] = {}
        for (_, policy, outcome), n in rec.outcomes.items():
            summed[(outcome, policy)] = summed.get((outcome, policy), 0) + n
        for (outcome, policy), n in sorted(summed.items()):
            outcomes.add_metric([outcome, policy], n)
        conflicts = CounterMetricFamily("hub_quality_conflicts", "Authoritative values contradicted",
                                        labels=["authoritative", "contradicting", "field"])
        for (a, c, f), n in sorted(rec.conflicts.items()):
            conflicts.add_metric([a, c, f], n)
        with_id = CounterMetricFamily("hub_records_with_id", "Records carrying an ID number", labels=["source"])
        unmatched = CounterMetricFamily("hub_records_unmatched_id",
                                        "Records with an ID whose master holds no other department", labels=["source"])
        for source, n in rec.with_id.items():
            with_id.add_metric([source], n)
            unmatched.add_metric([source], rec.unmatched.get(source, 0))
        yield from (processed, last, outcomes, conflicts, with_id, unmatched)

    def _dead_letters(self) -> Iterator[Metric]:
        counts = self.tally.refresh(self.settings)
        fam = CounterMetricFamily("hub_dead_letters", "Dead letters per department and reason",
                                  labels=["source", "reason"])
        for (source, reason), n in sorted(counts.items()):
            fam.add_metric([source, reason], n)
        yield fam


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


class TimedRoutes:
    """ASGI middleware: each request's latency by route template, method and status.

    A plain ASGI middleware rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware
    costs a task and a response stream per request, a tenth of a window lookup's CPU (bench/window.py)."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.latency.labels(path, scope["method"], str(status)).observe(time.perf_counter() - began)


def install(app: FastAPI, settings: HubSettings) -> None:
    """Mount `/metrics` and `/ops` on the hub's app and time its routes (the one line in create_app)."""
    from hub.ops.page import page_router

    registry = CollectorRegistry()
    redis = Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    registry.register(HubCollector(settings, redis))
    latency = Histogram("hub_http_request_duration_seconds", "Hub HTTP request latency",
                        ["route", "method", "status"], registry=registry)

    app.add_middleware(TimedRoutes, latency=latency)
    app.state.route_latency = latency  # the window's answer below ASGI times its route too (hub/api/fastproto.py)

    app.include_router(metrics_router(registry))
    app.include_router(page_router(settings, redis))
