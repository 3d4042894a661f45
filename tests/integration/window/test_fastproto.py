"""`GET /citizens` below ASGI (hub/api/fastproto.py) answers byte for byte as the ASGI route does.

Two uvicorn servers of `create_app` on loopback over the window conftest's city, with the real
broker and registry of `hub infra up` behind the audit (topics of their own): one with `hub serve`'s
protocol, one with uvicorn's plain httptools protocol. The same requests go to both over one
keep-alive connection each; status line, headers in order (but `date`) and body (but `read_at`)
must be equal. A third pair on a Redis that is down compares the 503s.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from pydantic import SecretStr
from redis.asyncio import Redis

from hub.api.app import create_app
from hub.api.fastproto import SearchAnswer, WindowHttpProtocol
from hub.api.logs import AccessLine
from hub.cli.serve import PROTOCOL
from hub.settings import HubSettings, TopicNames, WindowSettings
from hub.window.credentials import CredentialStore
from hub.window.grants import issue_grant
from hub.window.purposes import default_policy
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics
from tests.integration.window.conftest import CHEN_ID, GRANT_KEY, ZHANG_ID, ZHAO_ID, _free_port, serve_in_thread

pytestmark = pytest.mark.integration

ALL = ["养老服务", "社会救助", "综合受理", "医疗卫生", "本人查询", "就业服务"]
BURST = 40


class Counting(SearchAnswer):
    """The app's SearchAnswer, counting what it answered (so the test knows the fast route ran)."""

    answered = 0

    async def answer(self, cycle: Any, access: AccessLine | None = None) -> None:
        Counting.answered += 1
        await super().answer(cycle, access)


def _latin1(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


def _serve(settings: HubSettings, protocol: object, counting: bool = False) -> tuple[uvicorn.Server, threading.Thread,
                                                                                       int]:
    app = create_app(settings)
    if counting:
        found = app.state.search_answer
        app.state.search_answer = Counting(found.window, found.freshness, found.route, found.latency,
                                           found.unexpected)
    port = _free_port()
    server, thread = serve_in_thread(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    http=protocol, server_header=False))  # type: ignore[arg-type]
    return server, thread, port


def _keys(settings: HubSettings) -> dict[str, str]:
    async def create() -> dict[str, str]:
        redis = Redis.from_url(settings.redis_url)
        try:
            store = CredentialStore(redis, settings.window.redis_prefix, settings.city_code, default_policy())
            return {"sc": (await store.create("上城区便民服务中心", ["330102"], ALL)).key,
                    "care": (await store.create("养老窗口", ["330102"], ["养老服务"])).key,
                    "busy": (await store.create("繁忙窗口", ["330102"], ALL)).key}
        finally:
            await redis.aclose()

    return asyncio.run(create())


@pytest.fixture(scope="module")
def hub_settings(infra: HubSettings, city: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> HubSettings:
    tag = f"fp{uuid.uuid4().hex[:6]}"
    state = Path(tmp_path_factory.mktemp("fastproto"))
    settings = infra.model_copy(update={
        "redis_url": city.redis_url,
        "topics": TopicNames(audit=f"{tag}.audit.access.v1", feedback=f"{tag}.quality.feedback.v1"),
        "window": WindowSettings(audit_spool=state / "spool.jsonl", grant_key=SecretStr(GRANT_KEY),
                                 rate_per_s=1, rate_burst=BURST),
    })
    ensure_topics(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        sync_catalogue(registry, settings)
    return settings


def _pair(settings: HubSettings) -> Iterator[tuple[int, int]]:
    served = [_serve(settings, PROTOCOL, counting=True), _serve(settings, "httptools")]
    try:
        yield served[0][2], served[1][2]
    finally:
        for server, thread, _ in served:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def ports(hub_settings: HubSettings) -> Iterator[tuple[int, int]]:
    yield from _pair(hub_settings)
    spool = hub_settings.window.spool_path()
    assert not spool.exists() or not spool.stat().st_size, "the real broker took every audit event"


def _ask(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[str, list[tuple[str, str]],
                                                                                        bytes]:
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    kept = [(k, v) for k, v in resp.getheaders() if k.lower() != "date"]
    return f"{resp.status} {resp.reason}", kept, re.sub(rb'"read_at":"[^"]*"', b'"read_at":""', body)


def _h(key: str | None, purpose: str | None = "养老服务", case: str | None = "SL-1", **extra: str) -> dict[str, str]:
    out = {k: v for k, v in (("Authorization", f"Bearer {key}" if key else None),
                             ("X-Purpose", _latin1(purpose) if purpose else None), ("X-Case-Id", case)) if v}
    return {**out, **extra}


def _same(fast: http.client.HTTPConnection, slow: http.client.HTTPConnection, path: str,
          headers: dict[str, str]) -> str:
    a, b = _ask(fast, path, headers), _ask(slow, path, headers)
    ids = [dict(x[1]).get("x-request-id", "") for x in (a, b)]
    if ids[0] != headers.get("X-Request-Id"):  # no sane id sent: each server chose its own; compare the rest
        a = (a[0], [(k, "id" if v == ids[0] else v) for k, v in a[1]], a[2].replace(ids[0].encode(), b"id"))
        b = (b[0], [(k, "id" if v == ids[1] else v) for k, v in b[1]], b[2].replace(ids[1].encode(), b"id"))
    assert a == b, (path, headers)
    return a[0]


def test_fast_route_answers_as_the_asgi_route(ports: tuple[int, int], hub_settings: HubSettings) -> None:
    keys = _keys(hub_settings)
    grant = issue_grant(GRANT_KEY.encode("utf-8"), "C-0000000000000000", "就业服务", ttl_s=300)
    before = Counting.answered
    fast, slow = (http.client.HTTPConnection("127.0.0.1", p, timeout=30) for p in ports)
    rid = {"X-Request-Id": "hall-7.req_1"}
    asks: list[tuple[str, dict[str, str]]] = [
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], **rid)),
        (f"/citizens?id_number={ZHAO_ID}", _h(keys["sc"], "医疗卫生", **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], "综合受理")),  # an id of its own
        ("/citizens?id_number=330106%2019850312%201234", _h(keys["sc"], **rid)),
        ("/citizens?name=%E7%8E%8B%E8%8A%B3&birth_date=1990-01-01", _h(keys["sc"], "综合受理", **rid)),
        (f"/citizens?id_number={ZHANG_ID}", _h(keys["sc"], **rid)),  # another district: none visible
        ("/citizens?id_number=110101199001011237", _h(keys["sc"], **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(None, **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h("hk_" + "x" * 43, **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["care"], "综合受理", **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], "就业服务", **rid)),
        (f"/citizens?id_number={CHEN_ID}",  # a grant for someone else
         _h(keys["sc"], "就业服务", **rid, **{"X-Resident-Grant": grant})),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], "算命", **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], case=None, **rid)),
        ("/citizens?id_number=12345", _h(keys["sc"], **rid)),
        ("/citizens", _h(keys["sc"], **rid)),
        (f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], **{"X-Request-Id": "bad id;<x>"})),
    ]
    try:
        seen = [_same(fast, slow, path, headers) for path, headers in asks]
        # nothing visible is an empty search (200), not a 404
        assert set(seen) == {"200 OK", "400 Bad Request", "401 Unauthorized", "403 Forbidden",
                             "422 Unprocessable Entity"}, seen
        statuses = [_same(fast, slow, f"/citizens?id_number={CHEN_ID}", _h(keys["busy"], **rid))
                    for _ in range(BURST + 2)]
        assert statuses[0] == "200 OK" and statuses[-1] == "429 Too Many Requests", statuses
        assert Counting.answered - before == len(asks) + len(statuses), "the fast route answered every search"
        # other routes, and a search behind a proxy, take the ASGI route on the fast server
        _same(fast, slow, "/healthz", {})
        _same(fast, slow, f"/citizens?id_number={CHEN_ID}", _h(keys["sc"], **rid, **{"X-Forwarded-For": "10.0.0.9"}))
        assert Counting.answered - before == len(asks) + len(statuses)
        fast.request("GET", "/metrics")
        timings = fast.getresponse().read().decode()
        counted = re.search(r'hub_http_request_duration_seconds_count\{method="GET",route="/citizens",'
                            r'status="200"\} (\d+)', timings)
        answered = sum(status == "200 OK" for status in seen + statuses) + 1  # + the proxied one
        assert counted and int(float(counted.group(1))) == answered, "the fast route is timed as the route"
    finally:
        fast.close()
        slow.close()


def test_redis_down_is_the_same_503(hub_settings: HubSettings) -> None:
    down = hub_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{_free_port()}/0"})
    for fast_port, slow_port in _pair(down):
        fast, slow = (http.client.HTTPConnection("127.0.0.1", p, timeout=30) for p in (fast_port, slow_port))
        try:
            headers = _h("hk_" + "y" * 43, **{"X-Request-Id": "r-503"})
            assert _same(fast, slow, f"/citizens?id_number={CHEN_ID}", headers) == "503 Service Unavailable"
        finally:
            fast.close()
            slow.close()


def test_hub_serve_uses_the_protocol() -> None:
    assert uvicorn.importer.import_from_string(PROTOCOL) is WindowHttpProtocol
