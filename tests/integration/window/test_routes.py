"""The window's HTTP interface against a Redis holding a city written by the real engine."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from hub.readmodel.store import RedisKeys
from hub.window.app import build_window, mount
from hub.window.audit import read_jsonl, verify_chain
from hub.window.grants import issue_grant
from hub.window.service import Window
from hub.window.views import CitizenView, Residents, SearchResult
from tests.integration.window.conftest import (
    CHEN_ID,
    CREDIT_CODE,
    GRANT_KEY,
    ZHAO_ID,
    Env,
    MemoryFeedback,
    MemorySink,
)

PROBLEM = "application/problem+json"


def h(key: str | None, purpose: str | None = "养老服务", case: str | None = "SL-2025-0001",
      grant: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if key is not None:
        out["Authorization"] = f"Bearer {key}"
    if purpose is not None:
        out["X-Purpose"] = purpose.encode("utf-8")
    if case is not None:
        out["X-Case-Id"] = case.encode("utf-8")
    if grant is not None:
        out["X-Resident-Grant"] = grant
    return out


ALL = ["养老服务", "社会救助", "综合受理", "医疗卫生", "本人查询", "就业服务"]


@pytest.fixture
def sc(env: Env) -> str:
    """A hall of 上城区 (330102), where 陈晓明 and 赵秀英 live."""
    return env.key("上城区便民服务中心", ["330102"], ALL)


@pytest.fixture
def gs(env: Env) -> str:
    """A hall of 拱墅区 (330105)."""
    return env.key("拱墅区便民服务中心", ["330105"], ["养老服务", "综合受理"])


def _search(env: Env, key: str | None, purpose: str = "养老服务", **params: str) -> httpx.Response:
    return env.client.get("/citizens", params=params, headers=h(key, purpose))


def _one(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    candidates = resp.json()["candidates"]
    assert len(candidates) == 1, candidates
    return candidates[0]["citizen"]  # type: ignore[no-any-return]


def _problem(resp: httpx.Response, status: int, slug: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and body["type"].endswith("/" + slug), body


def test_no_credential_is_401(env: Env) -> None:
    resp = _search(env, None, id_number=CHEN_ID)
    _problem(resp, 401, "credential-missing")
    assert resp.headers["www-authenticate"].startswith("Bearer")
    _problem(_search(env, "hk_" + "a" * 43, id_number=CHEN_ID), 401, "credential-invalid")


def test_unknown_purpose_and_missing_case_are_problems(env: Env, sc: str) -> None:
    _problem(_search(env, sc, "算命", id_number=CHEN_ID), 400, "purpose-unknown")
    _problem(env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, case=None)), 400,
             "case-id-missing")
    _problem(env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, case="a b;<x>")), 400,
             "case-id-invalid")
    _problem(_search(env, sc, "就业服务", id_number=CHEN_ID), 403, "grant-required")


@pytest.mark.parametrize("spelling", [
    CHEN_ID, "330106 19850312 1234", "３３０１０６１９８５０３１２１２３４", "  330106198503121234  ",
])
def test_every_id_spelling_finds_the_person_masked_for_the_purpose(env: Env, sc: str, spelling: str) -> None:
    citizen = _one(_search(env, sc, id_number=spelling))
    fields = citizen["fields"]
    assert fields["name"]["value"] == "陈晓明"
    assert fields["id_number"] == {"mode": "masked", "value": "330106********1234", "answer": None,
                                   "provenance": fields["id_number"]["provenance"]}
    assert fields["id_number"]["provenance"]["source_label"] == "民政"
    assert citizen["data_as_of"]


def test_lower_case_x_and_legacy_ids(env: Env, sc: str) -> None:
    comprehensive = "综合受理"
    assert _one(_search(env, sc, comprehensive, id_number="650102800101001"))["fields"]["name"]["value"] \
        == "阿卜杜·热合曼"


def test_health_facts_only_for_health(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    care = _one(_search(env, sc, "养老服务", id_number=CHEN_ID))
    assert "chronic_diseases" not in care["fields"] and "family_doctor" not in care["fields"]
    cid = citizens["陈晓明"]["citizen_id"]
    _problem(_search(env, sc, "医疗卫生", id_number=CHEN_ID), 403, "grant-required")
    grant = issue_grant(GRANT_KEY.encode(), cid, "医疗卫生")
    resp = env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, "医疗卫生", grant=grant))
    health = _one(resp)["fields"]
    assert health["chronic_diseases"]["value"] == ["高血压"]
    assert health["chronic_diseases"]["provenance"]["source"] == "health"
    other = issue_grant(GRANT_KEY.encode(), citizens["赵秀英"]["citizen_id"], "医疗卫生")
    resp = env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, "医疗卫生", grant=other))
    assert resp.json()["candidates"] == []
    forged = grant[:-2] + ("AA" if not grant.endswith("AA") else "BB")
    _problem(env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, "医疗卫生", grant=forged)),
             403, "grant-invalid")


def test_presence_answers_and_household(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    zhao = _one(_search(env, sc, "综合受理", id_number=ZHAO_ID))
    assert zhao["fields"]["assistance_type"]["answer"] == "享受社会救助: 是（低保）"
    assert zhao["fields"]["assistance_type"]["value"] is None
    chen = _one(_search(env, sc, "养老服务", id_number=CHEN_ID))
    assert [m["citizen_id"] for m in chen["household"]] == [citizens["赵秀英"]["citizen_id"]]
    assert chen["fields"]["residence"]["value"]["text"] == "上城区解放路12号3幢1单元201室"
    aid = chen["fields"]["residence"]["value"]["address_id"]
    resp = env.client.get(f"/addresses/{aid}/residents", headers=h(sc))
    assert resp.status_code == 200, resp.text
    assert {r["fields"]["name"]["value"] for r in resp.json()["residents"]} == {"陈晓明", "赵秀英"}


def test_name_and_birth_date_with_grades_and_jurisdiction(env: Env, sc: str, gs: str) -> None:
    resp = _search(env, sc, "综合受理", name="王芳", birth_date="1990-01-01")
    assert resp.status_code == 200
    assert [c["grade"] for c in resp.json()["candidates"]] == ["probable", "probable"]
    local = _search(env, sc, "养老服务", name="王芳", birth_date="1990-01-01").json()["candidates"]
    assert len(local) == 1 and "total" not in resp.json()
    assert _search(env, sc, "综合受理", name="陳曉明", birth_date="1985-03-12").json()["candidates"][0]["grade"] \
        == "probable"
    assert _search(env, sc, "综合受理", name="陈小明", birth_date="1985-03-12").json()["candidates"][0]["grade"] \
        == "possible"
    _problem(_search(env, sc, name="王芳"), 422, "search-too-broad")
    _problem(_search(env, sc, birth_date="1990"), 422, "search-too-broad")
    # 拱墅区's hall: 陈晓明 is outside its jurisdiction unless the purpose is city-wide (通办)
    assert _search(env, gs, "养老服务", id_number=CHEN_ID).json()["candidates"] == []
    assert len(_search(env, gs, "综合受理", id_number=CHEN_ID).json()["candidates"]) == 1


def test_phone_and_citizen_id_with_redirect(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    assert _one(_search(env, sc, phone="137 0000 2222"))["fields"]["name"]["value"] == "赵秀英"
    cid = citizens["陈晓明"]["citizen_id"]
    resp = env.client.get(f"/citizens/{cid}", headers=h(sc))
    assert resp.status_code == 200 and resp.json()["citizen_id"] == cid
    retired = "C-aaaaaaaaaaaaaaaa"
    redis = SyncRedis.from_url(env.settings.redis_url)
    redis.set(RedisKeys(env.settings.processors.redis_prefix).redirect(retired), cid)
    redis.close()
    resp = env.client.get(f"/citizens/{retired}", headers=h(sc))
    assert resp.json()["citizen_id"] == cid and resp.json()["redirected_from"] == retired
    _problem(env.client.get("/citizens/C-bbbbbbbbbbbbbbbb", headers=h(sc)), 404, "not-found")


def test_organization(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    resp = env.client.get(f"/organizations/{CREDIT_CODE.lower()}", headers=h(sc))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "杭州清波养老服务有限公司" and body["status"] == "operating"
    assert body["legal_representative"]["citizen_id"] == citizens["陈晓明"]["citizen_id"]
    _problem(env.client.get("/organizations/91330102MA2H8K3LAE", headers=h(sc)), 422, "invalid-query")


INJECTIONS = ["' OR '1'='1", "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://x}", "\x00",
              "*", "1; FLUSHALL", "\ud800", "%00", "9" * 5000]


def _get(env: Env, url: str, **kwargs: Any) -> httpx.Response | None:
    """None when the client itself cannot send it (a NUL in a path, a lone surrogate)."""
    try:
        return env.client.get(url, **kwargs)
    except Exception as exc:
        if isinstance(exc, UnicodeError) or type(exc).__module__.split(".")[0].startswith("httpx"):
            return None
        raise


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_injection_attempts_are_4xx(env: Env, sc: str, attempt: str) -> None:
    for params in ({"id_number": attempt}, {"phone": attempt}, {"name": attempt, "birth_date": attempt},
                   {"name": attempt, "birth_date": "1990-01-01"}, {"phone": "13700002222", "gender": attempt}):
        resp = _get(env, "/citizens", params=params, headers=h(sc))
        assert resp is None or 400 <= resp.status_code < 500, (params, resp.status_code, resp.text)
    for path in (f"/citizens/{attempt}", f"/addresses/{attempt}/residents", f"/organizations/{attempt}",
                 f"/citizens/{attempt}/disclosures"):
        resp = _get(env, path, headers=h(sc))
        assert resp is None or 400 <= resp.status_code < 500, (path, resp.status_code)
    resp = env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc, case=attempt.encode(
        "utf-8", "surrogatepass").decode("latin-1")[:60] or "x"))
    assert resp.status_code in (200, 400)


def test_reports_go_to_the_owner_and_bad_bodies_are_4xx(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    cid = citizens["陈晓明"]["citizen_id"]
    url = f"/citizens/{cid}/reports"
    resp = env.client.post(url, json={"field": "residence", "resident_says": "已搬到西湖区"}, headers=h(sc))
    assert resp.status_code == 201, resp.text
    assert resp.json()["owner"] == "civil_affairs" and resp.json()["status"] == "submitted"
    assert env.client.post(url, json={"field": "phone", "resident_says": "新号码"}, headers=h(sc)).json()["owner"] \
        in ("civil_affairs", "hrss", "health", "tax")
    _problem(env.client.post(url, content=b"x" * 100_000, headers=h(sc)), 413, "body-too-large")
    _problem(env.client.post(url, content=b'{"field": "name", "resident_says": "\\ud800"}',
                             headers={**h(sc), "Content-Type": "application/json"}), 422, "invalid-body")
    _problem(env.client.post(url, content=b"\xff\xfe\x00binary", headers=h(sc)), 422, "invalid-body")
    _problem(env.client.post(url, content=b"field,resident_says\nname,x",
                             headers={**h(sc), "Content-Type": "text/csv"}), 422, "invalid-body")
    _problem(env.client.post(url, json={"field": "password", "resident_says": "x"}, headers=h(sc)), 422,
             "invalid-body")
    _problem(env.client.post(url, json=[1, 2], headers=h(sc)), 422, "invalid-body")


def test_reports_reach_their_owner_and_wait_in_redis_while_the_broker_is_down(
    env: Env, sc: str, citizens: dict[str, Any]
) -> None:
    cid = citizens["陈晓明"]["citizen_id"]
    url = f"/citizens/{cid}/reports"
    first = env.client.post(url, json={"field": "family_doctor", "resident_says": "王医生"}, headers=h(sc))
    assert first.status_code == 201, first.text
    assert env.feedback.reports[-1]["report_id"] == first.json()["report_id"]
    assert env.feedback.reports[-1]["owner"] == "health"
    env.feedback.down = True
    second = env.client.post(url, json={"field": "elderly_care", "resident_says": "已享受"}, headers=h(sc))
    assert second.status_code == 201, "a report is kept even when Kafka is down"
    assert env.feedback.reports[-1]["report_id"] == first.json()["report_id"]
    env.feedback.down = False
    third = env.client.post(url, json={"field": "street", "resident_says": "清波街道"}, headers=h(sc))
    assert [r["report_id"] for r in env.feedback.reports[-2:]] == [second.json()["report_id"],
                                                                   third.json()["report_id"]]

    from redis import Redis as SyncRedis

    from hub.ops.quality import feedback_counts
    from hub.readmodel.store import ReportKeys

    counts = {f.owner: f for f in feedback_counts(SyncRedis.from_url(env.settings.redis_url),
                                                  ReportKeys(env.window_settings.redis_prefix))}
    assert counts["health"].open >= 1 and counts["civil_affairs"].open >= 2  # what `hub quality report` shows


def test_every_request_is_audited_and_the_chain_verifies(env: Env, sc: str) -> None:
    before = len(env.sink.events)
    _search(env, None, id_number=CHEN_ID)
    _search(env, sc, "算命", id_number=CHEN_ID)
    _search(env, sc, id_number=CHEN_ID)
    _search(env, sc, id_number="110101199003077777")
    events = env.sink.events[before:]
    assert [e.outcome for e in events] == ["refused", "refused", "answered", "not_found"]
    assert [e.status for e in events] == [401, 400, 200, 200]
    answered = events[2]
    assert answered.case_id == "SL-2025-0001" and answered.purpose == "养老服务"
    assert answered.query == {"id_number": "330106********1234"}
    assert any(m == "masked" for fields in answered.disclosed.values() for m in fields.values())
    assert CHEN_ID not in str([e.model_dump() for e in events])
    assert verify_chain([e.model_dump(mode="json") for e in env.sink.events]).ok


def test_with_the_broker_down_reads_answer_and_the_spool_catches_up(env: Env, sc: str) -> None:
    env.sink.down = True
    assert _search(env, sc, id_number=CHEN_ID).status_code == 200
    assert _search(env, sc, id_number=ZHAO_ID).status_code == 200
    spooled = read_jsonl(env.spool())
    assert len(spooled) == 2 and verify_chain(spooled).ok
    env.sink.down = False
    assert _search(env, sc, id_number=CHEN_ID).status_code == 200
    assert read_jsonl(env.spool()) == []
    assert [e.seq for e in env.sink.events] == list(range(len(env.sink.events)))


def test_audit_written_nowhere_refuses_the_read(env: Env, sc: str) -> None:
    env.sink.down = True
    spool = env.spool()
    spool.parent.mkdir(parents=True, exist_ok=True)
    spool.mkdir()  # a directory where the file should be: appends fail
    resp = _search(env, sc, id_number=CHEN_ID)
    _problem(resp, 503, "audit-unavailable")
    assert "陈晓明" not in resp.text


def test_disclosures_show_who_looked(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    cid = citizens["赵秀英"]["citizen_id"]
    assert _search(env, sc, "社会救助", id_number=ZHAO_ID).status_code == 200
    _problem(env.client.get(f"/citizens/{cid}/disclosures", headers=h(sc, "养老服务")), 403, "purpose-not-allowed")
    _problem(env.client.get(f"/citizens/{cid}/disclosures", headers=h(sc, "本人查询")), 403, "grant-required")
    grant = issue_grant(GRANT_KEY.encode(), cid, "本人查询")
    resp = env.client.get(f"/citizens/{cid}/disclosures", headers=h(sc, "本人查询", grant=grant))
    assert resp.status_code == 200, resp.text
    seen = resp.json()["disclosures"]
    assert seen[0]["hall"] == "上城区便民服务中心" and seen[0]["purpose"] == "社会救助"


def test_rate_limit_answers_429_with_retry_after(env: Env, sc: str) -> None:
    env.client.app.state.window.limiter.burst = 2.0  # type: ignore[attr-defined]
    env.client.app.state.window.limiter.rate = 0.01  # type: ignore[attr-defined]
    statuses = [_search(env, sc, id_number=CHEN_ID).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200]
    resp = _search(env, sc, id_number=CHEN_ID)
    _problem(resp, 429, "rate-limited")
    assert int(resp.headers["retry-after"]) >= 1


def test_health_endpoints(env: Env) -> None:
    assert env.client.get("/healthz").json() == {"status": "ok"}
    assert env.client.get("/readyz").status_code == 200


def test_open_conflicts_are_shown_in_the_mode_of_their_field(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    """多元校核 at the counter: HRSS's typed birth date contradicts the ID's, shown as the purpose shows birth dates."""
    cid = citizens["赵秀英"]["citizen_id"]
    full = env.client.get(f"/citizens/{cid}", headers=h(sc, "养老服务"))
    assert full.status_code == 200, full.text
    conflicts = [c for c in full.json()["conflicts"] if c["field"] == "birth_date"]
    assert len(conflicts) == 1
    assert conflicts[0]["authoritative"]["value"] == "1940-03-05"
    assert conflicts[0]["contradicting"]["value"] == "1940-05-03"
    assert conflicts[0]["contradicting"]["provenance"]["source"] == "hrss"
    masked = env.client.get(f"/citizens/{cid}", headers=h(sc, "综合受理")).json()["conflicts"]
    assert [c["contradicting"]["mode"] for c in masked if c["field"] == "birth_date"] == ["masked"]
    assert "1940-05-03" not in str(masked)


def test_the_employer_is_named_as_the_record_that_gave_it(env: Env, sc: str, citizens: dict[str, Any]) -> None:
    """就业服务 shows the employer in full: its organisation id and the name the tax record wrote."""
    cid = citizens["陈晓明"]["citizen_id"]
    grant = issue_grant(GRANT_KEY.encode(), cid, "就业服务")
    resp = env.client.get(f"/citizens/{cid}", headers=h(sc, "就业服务", grant=grant))
    assert resp.status_code == 200, resp.text
    employer = resp.json()["fields"]["employer"]
    assert employer["mode"] == "full"
    assert employer["value"]["name"] == "杭州东部软件有限公司"
    assert employer["value"]["organization_id"].startswith("O-")


@pytest.mark.parametrize("purpose", ALL)
def test_every_answer_is_exactly_its_documented_model(env: Env, sc: str, citizens: dict[str, Any],
                                                      purpose: str) -> None:
    """The citizen routes answer with bytes built from dicts (hub.window.disclosure), not through their
    response models: each answer must still validate against its model (no undeclared key, no wrong
    type) and be exactly what the model would have written."""
    chen = citizens["陈晓明"]["citizen_id"]
    grant = issue_grant(GRANT_KEY.encode(), chen, purpose)
    headers = h(sc, purpose, grant=grant)
    search = env.client.get("/citizens", params={"id_number": CHEN_ID}, headers=headers)
    one = env.client.get(f"/citizens/{chen}", headers=headers)
    answers: list[tuple[httpx.Response, type[BaseModel]]] = [(search, SearchResult), (one, CitizenView)]
    residence = one.json()["fields"].get("residence", {}).get("value")
    if isinstance(residence, dict):
        answers.append((env.client.get(f"/addresses/{residence['address_id']}/residents", headers=headers),
                        Residents))
    for resp, model in answers:
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "application/json"
        assert resp.headers["cache-control"] == "no-store" and resp.headers["x-request-id"]
        assert orjson.loads(model.model_validate_json(resp.content).model_dump_json()) == resp.json(), model
    assert search.json()["candidates"], "the search found 陈晓明"


def _window_of(env: Env) -> Window:
    """A window like env's, with its own Redis client (a client belongs to one event loop, one TestClient)."""
    return build_window(env.settings, redis=Redis.from_url(env.settings.redis_url), window=env.window_settings,
                        audit_sink=MemorySink(), feedback_sink=MemoryFeedback())


def test_the_fast_path_answers_as_the_route_does(env: Env, sc: str) -> None:
    """`GET /citizens` is answered past FastAPI's routing (hub.window.fastpath); an app without the fast
    path, on the same read model and policy, gives the same status, headers that matter and body (but
    the time)."""
    plain = FastAPI()
    mount(plain, env.settings, window=_window_of(env), fast_path=False)
    asks: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({"id_number": CHEN_ID}, h(sc, "综合受理")), ({"id_number": ZHAO_ID}, h(sc, "医疗卫生")),
        ({"id_number": "110101199001011237"}, h(sc)), ({"name": "王芳", "birth_date": "1990-01-01"}, h(sc, "综合受理")),
        ({"id_number": CHEN_ID}, h(sc, purpose=None)), ({"id_number": CHEN_ID}, h("hk_" + "x" * 43)),
        ({"id_number": "12345"}, h(sc)), ({}, h(sc)),
    ]
    with TestClient(plain, raise_server_exceptions=False) as other:
        for params, headers in asks:
            fast, slow = (c.get("/citizens", params=params, headers=headers) for c in (env.client, other))
            assert fast.status_code == slow.status_code, (params, fast.text, slow.text)
            for name in ("content-type", "cache-control", "www-authenticate"):
                assert fast.headers.get(name) == slow.headers.get(name), (params, name)
            assert fast.headers["x-request-id"] and slow.headers["x-request-id"]
            body, other_body = fast.json(), slow.json()
            for b in (body, other_body):
                b.pop("read_at", None), b.pop("request_id", None)
            assert body == other_body, params
    assert env.client.post("/citizens", headers=h(sc)).status_code == 405, "only GET takes the fast path"


def test_the_fast_path_is_timed_as_the_documented_route(env: Env, sc: str) -> None:
    """Route timings (hub.ops.metrics) label a request by `scope["route"].path`: the fast path sets the
    documented route there, as FastAPI's router would."""
    seen: list[str | None] = []

    class Labels:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)
            if scope["type"] == "http":
                seen.append(getattr(scope.get("route"), "path", None))

    for fast_path in (True, False):
        app = FastAPI()
        mount(app, env.settings, window=_window_of(env), fast_path=fast_path)
        app.add_middleware(Labels)
        with TestClient(app) as client:
            assert client.get("/citizens", params={"id_number": CHEN_ID}, headers=h(sc)).status_code == 200
    assert seen == ["/citizens", "/citizens"]
