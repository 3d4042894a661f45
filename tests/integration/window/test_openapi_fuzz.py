"""Schemathesis against the whole /openapi.json of `create_app`: no 5xx, every 4xx a problem+json.

The app runs as `hub serve` runs it (uvicorn, on loopback) over the window conftest's small city in a
throwaway Redis, with the real broker and registry of `hub infra up` behind the ingest router and the
audit sink (topics of its own): nothing is stubbed. Each operation is fuzzed twice, bounded
(`max_examples` per operation): once with a valid credential, purpose, case id and department key
forced on every request, so the generated parameters and bodies reach the code behind the admission
checks; once with only the credential, so the generated headers are what gets tested.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from redis.asyncio import Redis
from schemathesis import GenerationMode

from hub.api.app import create_app
from hub.contract.sources import SOURCES
from hub.settings import ConnectorSettings, HubSettings, TopicNames, WindowSettings
from hub.window.credentials import CredentialStore
from hub.window.problems import PROBLEM_JSON
from hub.window.purposes import default_policy
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics
from tests.integration.window.conftest import CHEN_ID, CREDIT_CODE, ZHANG_ID, ZHAO_ID, serve_in_thread

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 25
#: (method, path, status) -> answers seen, to check the fuzzing got past the admission checks
STATS: Counter[tuple[str, str, int]] = Counter()
INGEST_KEY = "fuzz-ingest-key"


@dataclass
class Served:
    url: str
    key: str
    real: dict[str, list[str]]  # parameter name -> values that find something in the city

    def valid_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "X-Purpose": _latin1("综合受理"),
                "X-Case-Id": "FUZZ-1", "X-Operator-Id": "staff-1", "X-Api-Key": INGEST_KEY}


def _latin1(text: str) -> str:
    """A header value as a hall's browser sends Chinese: raw UTF-8 bytes (requests writes str as Latin-1)."""
    return text.encode("utf-8").decode("latin-1")


def _realistic(case: schemathesis.Case, real: dict[str, list[str]], data: st.DataObject) -> None:
    """Replace some generated parameters by values the city holds, so lookups find people and views
    are built (random text mostly stops at the parameter checks)."""
    for name in list(case.path_parameters or {}):
        if name in real:
            case.path_parameters[name] = data.draw(st.sampled_from(real[name]), label=name)  # type: ignore[index]
    if case.query is not None or case.operation.path == "/citizens":
        lookup = data.draw(st.sampled_from([("id_number",), ("phone",), ("name", "birth_date"),
                                            ("name", "birth_date", "gender", "phone")]), label="lookup")
        # a whole search of the city's values: generated text is what the other half of the cases send
        case.query = {name: data.draw(st.sampled_from(real[name]), label=name) for name in lookup}
    if isinstance(case.body, dict) and "field" in case.body:
        case.body["field"] = data.draw(st.sampled_from(real["field"]), label="field")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _credential(settings: HubSettings) -> str:
    async def create() -> str:
        redis = Redis.from_url(settings.redis_url)
        try:
            store = CredentialStore(redis, settings.window.redis_prefix, settings.city_code, default_policy())
            return (await store.create("模糊测试", [settings.city_code], default_policy().names())).key
        finally:
            await redis.aclose()

    return asyncio.run(create())


@pytest.fixture(scope="module")
def served(infra: HubSettings, city: HubSettings, citizens: dict[str, dict[str, Any]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tag = f"fz{uuid.uuid4().hex[:6]}"
    state = Path(tmp_path_factory.mktemp("fuzz"))
    fuzz = infra.model_copy(update={
        "redis_url": city.redis_url,
        "topics": TopicNames(department=f"{tag}.dept.{{source}}.v1", dead_letter=f"{tag}.dlq.{{source}}.v1",
                             audit=f"{tag}.audit.access.v1", feedback=f"{tag}.quality.feedback.v1"),
        "connectors": ConnectorSettings(state_dir=state / "connectors",
                                        ingest_keys={s: SecretStr(INGEST_KEY) for s in SOURCES}),
        "window": WindowSettings(audit_spool=state / "audit" / "spool.jsonl", rate_per_s=100_000,
                                 rate_burst=100_000),
    })
    ensure_topics(fuzz)
    with SchemaRegistry.from_settings(fuzz) as registry:
        sync_catalogue(registry, fuzz)
    key = _credential(fuzz)
    port = _free_port()
    server, thread = serve_in_thread(uvicorn.Config(create_app(fuzz), host="127.0.0.1", port=port,
                                                    log_level="warning"))
    try:
        chen = citizens["陈晓明"]
        real = {
            "citizen_id": [*sorted(d["citizen_id"] for d in citizens.values()), "C-0000000000000000"],
            "address_id": [str(chen["fields"]["address_id"]["value"])],
            "credit_code": [CREDIT_CODE, CREDIT_CODE.lower()],
            "id_number": [CHEN_ID, ZHAO_ID, ZHANG_ID, CHEN_ID.replace("4", " 4"),
                          "３３０１０６１９８５０３１２１２３４", "330106850312123"],
            "name": ["陈晓明", "赵秀英", "张伟"],
            "birth_date": ["1985-03-12", "1940-03-05", "2000-01-01"],
            "phone": ["13912345678", "139 1234 5678", "+86 13700002222"],
            "gender": ["男", "女", "M", "F"],
            "source": list(SOURCES),
            "field": ["phone", "residence", "name", "employer_id", "chronic_diseases", "death_date"],
        }
        yield Served(f"http://127.0.0.1:{port}", key, real)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert not (state / "audit" / "spool.jsonl").exists() or not (state / "audit" / "spool.jsonl").stat().st_size, \
        "the real broker took every audit event"


bounded = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _check(case: schemathesis.Case, response: Any) -> None:
    status = response.status_code
    where = f"{case.method} {case.formatted_path} -> {status}"
    assert status < 500, f"server error: {where}: {response.text[:300]}"
    if 400 <= status < 500:
        ctype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
        assert ctype == PROBLEM_JSON, f"{where} answered {ctype!r}, not {PROBLEM_JSON}"


def _cases(operation: Any) -> st.SearchStrategy[schemathesis.Case]:
    """Cases that fit the schema and, where the operation has anything to break, cases that do not."""
    positive = operation.as_strategy()
    try:
        return st.one_of(positive, operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # no negative cases for an operation without parameters or body
        return positive


def _fuzz(served: Served, headers: dict[str, str], *, forced_headers_sometimes: bool = False) -> list[str]:
    """Every operation of the app's /openapi.json, `MAX_EXAMPLES` generated cases each.

    Why not schemathesis' pytest plugin (`from_fixture`): its lazy loader renames pytest's node ids
    through an attribute pytest 9 no longer has; the Python API below is the same generation."""
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @bounded
        @given(case=_cases(operation), data=st.data())
        def run(case: schemathesis.Case, data: st.DataObject) -> None:
            if data.draw(st.booleans(), label="real values"):
                _realistic(case, served.real, data)
            sent = dict(headers)
            if forced_headers_sometimes:
                if data.draw(st.booleans(), label="real purpose"):
                    sent["X-Purpose"] = _latin1(data.draw(st.sampled_from(default_policy().names()), label="purpose"))
                if data.draw(st.booleans(), label="real case id"):
                    sent["X-Case-Id"] = "FUZZ-2"
            response = case.call(base_url=served.url, headers=sent, timeout=30)
            STATS[(case.operation.method.upper(), case.operation.path, response.status_code)] += 1
            _check(case, response)

        try:
            run()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert operations >= 8, f"only {operations} operations in /openapi.json"
    return failures


def test_valid_credential_with_generated_parameters_and_bodies(served: Served) -> None:
    assert _fuzz(served, served.valid_headers()) == []


def test_generated_headers(served: Served) -> None:
    assert _fuzz(served, {"Authorization": f"Bearer {served.key}"}, forced_headers_sometimes=True) == []


def test_the_fuzzing_reached_past_admission() -> None:
    """Runs after the two above: the forced headers and real values made answers, not only refusals."""
    answered = {(m, p) for (m, p, status) in STATS if status in (200, 201)}
    assert ("GET", "/citizens") in answered and ("GET", "/citizens/{citizen_id}") in answered
    assert ("POST", "/ingest/{source}") in answered
