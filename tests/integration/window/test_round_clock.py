"""Round the clock (全天候): request ids, data freshness on every answer, JSON logs, graceful shutdown."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from redis.asyncio import Redis

from hub import REPO_ROOT
from hub.api.app import create_app
from hub.settings import HubSettings, TopicNames, WindowSettings
from hub.window.app import build_window
from hub.window.audit import AuditEvent, Spool, seal
from hub.window.audit_topic import read_audit_topic
from hub.window.credentials import CredentialStore
from hub.window.purposes import default_policy
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics
from tests.integration.window.conftest import CHEN_ID, GRANT_KEY, MemoryFeedback, MemorySink

pytestmark = pytest.mark.integration

HEX32 = re.compile(r"[0-9a-f]{32}")


def _key(settings: HubSettings, purposes: list[str]) -> str:
    async def create() -> str:
        redis = Redis.from_url(settings.redis_url)
        try:
            store = CredentialStore(redis, settings.window.redis_prefix, settings.city_code, default_policy())
            return (await store.create("上城区便民服务中心", [settings.city_code], purposes)).key
        finally:
            await redis.aclose()

    return asyncio.run(create())


@pytest.fixture
def app_client(city: HubSettings, tmp_path: Path) -> Iterator[tuple[TestClient, MemorySink, str]]:
    ws = WindowSettings(audit_spool=tmp_path / "spool.jsonl", grant_key=SecretStr(GRANT_KEY))
    sink = MemorySink()
    window = build_window(city, redis=Redis.from_url(city.redis_url), window=ws, audit_sink=sink,
                          feedback_sink=MemoryFeedback())
    key = _key(city, ["综合受理"])
    with TestClient(create_app(city, window=window), raise_server_exceptions=False) as client:
        yield client, sink, key


def _hdr(key: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Purpose": "%E7%BB%BC%E5%90%88%E5%8F%97%E7%90%86",  # 综合受理
            "X-Case-Id": "SL-1", **more}


def test_a_sane_request_id_is_honoured_in_the_answer_and_the_audit(
        app_client: tuple[TestClient, MemorySink, str]) -> None:
    client, sink, key = app_client
    answer = client.get("/citizens", params={"id_number": CHEN_ID}, headers=_hdr(key, **{"X-Request-Id": "hall-7.a_1"}))
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "hall-7.a_1"
    assert sink.events[-1].request_id == "hall-7.a_1"


@pytest.mark.parametrize("given", ["has space", "x" * 65, "问号", ""])
def test_an_insane_request_id_is_replaced(app_client: tuple[TestClient, MemorySink, str], given: str) -> None:
    client, sink, key = app_client
    answer = client.get("/citizens", params={"id_number": CHEN_ID},
                        headers={**_hdr(key), "X-Request-Id": given.encode()})  # type: ignore[dict-item]
    assert answer.status_code == 200
    assert HEX32.fullmatch(answer.headers["X-Request-Id"])
    assert sink.events[-1].request_id == answer.headers["X-Request-Id"]


def test_every_answer_says_how_fresh_the_data_is(app_client: tuple[TestClient, MemorySink, str]) -> None:
    """The city was written by the processors' own stage in this session: its write time is recent."""
    client, _, key = app_client
    answers = [
        client.get("/citizens", params={"id_number": CHEN_ID}, headers=_hdr(key)),
        client.get("/citizens", params={"id_number": "bad"}, headers=_hdr(key)),
        client.get("/citizens", params={"id_number": CHEN_ID}),
        client.get("/healthz"),
        client.get("/no/such/route"),
        client.post("/ingest/health", content=b"x", headers={"Content-Type": "text/plain"}),
    ]
    assert [a.status_code for a in answers] == [200, 422, 401, 200, 404, 401]
    for answer in answers:
        as_of = datetime.fromisoformat(answer.headers["X-Data-As-Of"])
        assert 0 <= (datetime.now(UTC) - as_of).total_seconds() < 24 * 3600
        assert HEX32.fullmatch(answer.headers["X-Request-Id"])
    assert len({a.headers["X-Request-Id"] for a in answers}) == len(answers)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hub_serve_logs_json_and_shuts_down_gracefully_flushing_the_audit_spool(
        infra: HubSettings, city: HubSettings, tmp_path: Path) -> None:
    """`hub serve` as operations run it: JSON lines with request ids and no ID in clear; on SIGTERM
    it shuts down cleanly, and an audit event left in the spool (Kafka was down earlier) is on the topic."""
    tag = f"rc{uuid.uuid4().hex[:6]}"
    settings = infra.model_copy(update={"redis_url": city.redis_url, "topics": TopicNames(
        audit=f"{tag}.audit.access.v1", feedback=f"{tag}.quality.feedback.v1")})
    ensure_topics(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        sync_catalogue(registry, settings)
    spool = tmp_path / "spool.jsonl"
    left = seal(AuditEvent(event_id="e-left", request_id="r-left", occurred_at=datetime.now(UTC),
                           city_code=settings.city_code, method="GET", path="/citizens", lookup="id_number",
                           outcome="refused", status=401), "earlier-run", 0, "0" * 64)
    key = _key(settings, ["综合受理"])
    port = _free_port()
    env = {**os.environ, "HUB_REDIS_URL": settings.redis_url, "HUB_TOPICS__AUDIT": settings.topics.audit,
           "HUB_TOPICS__FEEDBACK": settings.topics.feedback, "HUB_WINDOW__AUDIT_SPOOL": str(spool),
           "HUB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "HUB_REGISTRY_URL": settings.registry_url}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "hub"), "serve", "--port", str(port)], cwd=REPO_ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        answer = httpx.get(f"{url}/citizens", params={"id_number": CHEN_ID, "phone": "13912345678"},
                           headers=_hdr(key, **{"X-Request-Id": "shutdown-1"}), timeout=10)
        assert answer.status_code in (200, 422)
        Spool(spool).append([left])  # as if Kafka had been down for a moment: only shutdown forwards it now
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # uvicorn ends by re-raising the signal it handled, after the graceful shutdown completed
    assert proc.returncode in (0, -signal.SIGTERM), err.decode()[-2000:]
    lines: list[dict[str, Any]] = [orjson.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    access = [line for line in lines if line["request_id"] == "shutdown-1"]
    assert access and any(line["logger"] == "uvicorn.access" for line in access)
    text = err.decode()
    assert CHEN_ID not in text and "13912345678" not in text and "330106********1234" in text
    messages = [line["message"] for line in lines]
    assert "audit spool forwarded at shutdown: 1 event(s)" in messages
    assert messages[-3:-1] == ["shut down", "Application shutdown complete."]
    assert not spool.exists() or spool.stat().st_size == 0
    on_topic = list(read_audit_topic(settings))
    assert "e-left" in {row.get("event_id") for row in on_topic}
    assert "shutdown-1" in {row.get("request_id") for row in on_topic}
