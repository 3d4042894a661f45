"""Fixtures of the window tests: a throwaway redis-server, a small city written by the real engine.

The city is the engine tests' hand-made one (`tests.fixtures.engine`), applied by the processors'
own `ResolveStage` (Kafka replaced by a sink that acknowledges), so the read model has exactly the
shape `hub process` writes. Never port 6379 nor the project's configured ports.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from hub.contract.records import (
    AssistanceType,
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    Gender,
    HealthRecord,
    HrssRecord,
    InsuranceStatus,
    RegistrationStatus,
)
from hub.readmodel.codec import decode_document
from hub.readmodel.store import RedisKeys, live_citizens
from hub.settings import HubSettings, load_settings
from hub.window.app import build_window, mount
from hub.window.audit import SealedEvent
from hub.window.config import WindowSettings
from hub.window.credentials import CredentialStore
from hub.window.purposes import default_policy
from hub.window.reader import build_birth_index
from processors.records import record_to_json
from processors.resolve import ResolveStage
from tests.fixtures.engine import at, city_records

GRANT_KEY = "test-grant-key"
CHEN_ID = "330106198503121234"  # 陈晓明, lives in 上城区 (330102)
ZHAO_ID = "330102194003050023"  # 赵秀英, same flat as 陈晓明: elderly, 低保
ZHANG_ID = "330106200001011014"  # 张伟, lives in 拱墅区 (330105)
CREDIT_CODE = "91330102MA2H8K3LAD"  # 杭州清波养老服务有限公司, legal representative 陈晓明


def window_records() -> list[DepartmentRecord]:
    """The engine tests' city plus the department facts a window shows (health, assistance, care)."""
    return [
        *city_records(),
        # civil affairs confirms the move to 上城区 after tax last reported the old flat: the current
        # residence (the newest report) is 上城区 again
        CivilAffairsRecord(record_id="MZ1", name="陈晓明", gender=Gender.MALE, id_number="330106198503121234",
                           birth_date=date(1985, 3, 12), residence_address="上城区解放路12号3幢1单元201室",
                           phone="13912345678", updated_at=at(26)),
        HealthRecord(record_id="WJ9", name="陈晓明", gender=Gender.MALE, document_number=CHEN_ID,
                     birth_date=date(1985, 3, 12), family_doctor="李医生", chronic_diseases=["高血压"],
                     updated_at=at(21)),
        HrssRecord(record_id="RS9", name="陈晓明", id_number=CHEN_ID, insurance_status=InsuranceStatus.CONTRIBUTING,
                   insurance_kinds=["养老", "医疗"], updated_at=at(22)),
        CivilAffairsRecord(record_id="MZ20", name="赵秀英", gender=Gender.FEMALE, id_number=ZHAO_ID,
                           birth_date=date(1940, 3, 5), residence_address="上城区解放路12号3幢1单元201室",
                           phone="13700002222", assistance_type=AssistanceType.MINIMUM_LIVING, elderly_care=True,
                           street="清波街道", updated_at=at(23)),
        # HRSS typed 赵秀英's birth date with day and month swapped: her ID's digits win, and the
        # disagreement is an open data-quality conflict on her record
        HrssRecord(record_id="RS20", name="赵秀英", id_number=ZHAO_ID, gender=Gender.FEMALE,
                   birth_date=date(1940, 5, 3), updated_at=at(23)),
        CommerceRecord(record_id=CREDIT_CODE, business_name="杭州清波养老服务有限公司", business_type="有限责任公司",
                       legal_rep_name="陈晓明", legal_rep_id_number=CHEN_ID, address="上城区清波街30号",
                       registration_status=RegistrationStatus.OPERATING, updated_at=at(24)),
    ]


#: Last four digits of the ports `hub infra up` gives Kafka (and its controller), the registry (and its
#: health port), Redis and `hub serve`, in every family (19092, 29092, 39092, ...): the kernel hands out
#: ports from 32768 up, where other engineers' stacks on this machine listen, or will once started.
_INFRA_PORT_TAILS = frozenset({9092, 9093, 8081, 8082, 6379, 8090})


def _free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port % 10000 not in _INFRA_PORT_TAILS:
            return port


def serve_in_thread(config: uvicorn.Config, name: str = "window-uvicorn") -> tuple[uvicorn.Server, threading.Thread]:
    """A uvicorn server on a daemon thread, returned once it accepts connections; RuntimeError if it
    died or had not started within 30 s."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server, thread


@contextmanager
def redis_server(port: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server on loopback (no persistence) until the block ends; `extra` are its flags."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = SyncRedis(host="127.0.0.1", port=port, password=extra[1] if extra[:1] == ("--requirepass",) else None)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except Exception:
                time.sleep(0.05)
        else:
            raise RuntimeError("redis-server did not start")
        yield proc
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    port = _free_port()
    with redis_server(port):
        yield f"redis://127.0.0.1:{port}/0"


class _NoCodecs:
    """Stands in for the registry-backed codecs: the Kafka side is not under test here."""

    def serializer(self, topic: str, role: str = "value") -> Callable[[Any], bytes]:
        return lambda datum: b""


async def _ack(topic: str, key: bytes | None, value: bytes | None) -> Awaitable[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


async def _write_city(settings: HubSettings) -> None:
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.flushdb()
        stage = ResolveStage(settings, _NoCodecs(), redis, _ack)  # type: ignore[arg-type]
        await stage.handle([record_to_json(r) for r in window_records()])
        secret = settings.citizen_id_key.get_secret_value().encode()
        await build_birth_index(redis, RedisKeys(settings.processors.redis_prefix), secret)
    finally:
        await redis.aclose()


@pytest.fixture(scope="session")
def settings(redis_url: str) -> HubSettings:
    return load_settings(redis_url=redis_url)


@pytest.fixture(scope="session")
def city(settings: HubSettings) -> HubSettings:
    asyncio.run(_write_city(settings))
    return settings


async def _live(url: str, keys: RedisKeys) -> list[str]:
    redis = Redis.from_url(url)
    try:
        return await live_citizens(redis, keys)
    finally:
        await redis.aclose()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def citizens(city: HubSettings) -> dict[str, dict[str, Any]]:
    """Citizen documents of the city by their name."""
    client = SyncRedis.from_url(city.redis_url)
    keys = RedisKeys(city.processors.redis_prefix)
    out: dict[str, dict[str, Any]] = {}
    for cid in asyncio.run(_live(city.redis_url, keys)):
        doc = decode_document(client.get(keys.citizen(cid)))  # type: ignore[arg-type]
        name = doc["fields"].get("name", {}).get("value")
        if name and doc["fields"].get("id_number"):
            out[name] = doc
    client.close()
    return out


class MemorySink:
    """An audit sink that can be switched off, standing in for Kafka."""

    def __init__(self) -> None:
        self.events: list[SealedEvent] = []
        self.down = False

    async def send(self, events: Any) -> None:
        if self.down:
            raise OSError("broker down")
        self.events.extend(events)


class MemoryFeedback:
    """A feedback sink that can be switched off, standing in for quality.feedback.v1."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.down = False

    async def send(self, report: dict[str, Any]) -> None:
        if self.down:
            raise OSError("broker down")
        self.reports.append(report)


@dataclass
class Env:
    client: TestClient
    settings: HubSettings
    window_settings: WindowSettings
    sink: MemorySink
    feedback: MemoryFeedback

    def key(self, name: str, jurisdiction: list[str], purposes: list[str], days: int = 30) -> str:
        async def create() -> str:
            redis = Redis.from_url(self.settings.redis_url)
            try:
                store = CredentialStore(redis, self.window_settings.redis_prefix, self.settings.city_code,
                                        default_policy())
                return (await store.create(name, jurisdiction, purposes, days=days)).key
            finally:
                await redis.aclose()

        return asyncio.run(create())

    def spool(self) -> Path:
        return self.window_settings.spool_path()


@pytest.fixture
def env(city: HubSettings, tmp_path: Path) -> Iterator[Env]:
    from pydantic import SecretStr

    ws = WindowSettings(audit_spool=tmp_path / "audit" / "spool.jsonl", audit_retry_s=0,
                        grant_key=SecretStr(GRANT_KEY), rate_per_s=1000, rate_burst=1000)
    sink = MemorySink()
    feedback = MemoryFeedback()
    app = FastAPI()
    window = build_window(city, redis=Redis.from_url(city.redis_url), window=ws, audit_sink=sink,
                          feedback_sink=feedback)
    mount(app, city, window=window)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(client, city, ws, sink, feedback)
