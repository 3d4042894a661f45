"""The three connectors against the real broker, registry and Redis-less local state: every row published or
dead-lettered, exactly once in effect (re-runs, appends, SIGKILL), DB polling by watermark, HTTP push.

Topics are the test's own (`it.connectors.dept.*` / `it.connectors.dlq.*`); each test reads only what it
appended (`TopicWindow`). Values are invented.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.checkpoints import CheckpointStore
from connectors.db_connector import PollResult
from connectors.delivery import kafka_cluster_id
from connectors.file_connector import FileCheckpoint, FileConnector
from connectors.file_watch import watch
from connectors.formats import read_file
from hub import REPO_ROOT
from hub.api.app import create_app
from hub.contract.errors import CheckpointError, SourceReadError
from hub.contract.sources import SOURCES, Source
from hub.settings import ConnectorSettings, HubSettings, TopicNames
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics
from tests.integration.connector_files import ExportFile, append_rows, write_export
from tests.integration.topic_window import TopicWindow

pytestmark = pytest.mark.integration

TEST_TOPICS = TopicNames(department="it.connectors.dept.{source}.v1", dead_letter="it.connectors.dlq.{source}.v1")
KEYS = {"health": "health-test-key", "tax": "tax-test-key"}


@pytest.fixture(scope="module")
def settings(infra: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> HubSettings:
    configured = infra.model_copy(
        update={
            "topics": TEST_TOPICS,
            "connectors": ConnectorSettings(
                state_dir=tmp_path_factory.mktemp("connector-state"),
                ingest_keys={s: SecretStr(k) for s, k in KEYS.items()},
            ),
        }
    )
    ensure_topics(configured)
    with SchemaRegistry.from_settings(configured) as registry:
        sync_catalogue(registry, configured)
    return configured


def window(settings: HubSettings, source: str) -> TopicWindow:
    return TopicWindow(settings, [settings.topics.dept(source), settings.topics.dlq(source)])


def split(settings: HubSettings, source: str, found: dict[str, list[dict[str, Any]]]) -> tuple[list, list]:
    return found[settings.topics.dept(source)], found[settings.topics.dlq(source)]


def connector(settings: HubSettings, **kwargs: Any) -> FileConnector:
    """The file connector as `hub connect file` builds it: positions bound to the running cluster."""
    return FileConnector(settings, **kwargs)


def assert_dead_letters_match(export: ExportFile, dead: list[dict[str, Any]]) -> None:
    by_offset = {d["origin"]["byte_offset"]: d for d in dead}
    assert len(by_offset) == len(export.bad) == len(dead)
    for kind, (raw, line, offset) in export.bad.items():
        letter = by_offset[offset]
        assert letter["origin"] == {"path": str(export.path), "line": line, "byte_offset": offset}, kind
        assert letter["reason"].startswith(f"line {line}:"), (kind, letter["reason"])
        assert letter["raw"] and raw.startswith(letter["raw"]), kind  # a row over the limit keeps a prefix
        assert letter["source"] == export.source


# -- file connector ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_file_rows_are_published_or_dead_lettered_and_a_rerun_is_a_noop(
    settings: HubSettings, tmp_path: Path, source: Source
) -> None:
    export = write_export(tmp_path, source, 300)
    seen = window(settings, source)
    with connector(settings) as files:
        result = files.process(export.path)
        assert (result.rows, result.published, result.dead_letters) == (export.rows, 300, len(export.bad))
        events, dead = split(settings, source, seen.read())
        assert len(events) + len(dead) == export.rows
        assert sorted(e["record_key"] for e in events) == sorted(export.good_keys)
        assert len({e["event_id"] for e in events}) == len(events)
        assert_dead_letters_match(export, dead)

        again = window(settings, source)
        assert files.process(export.path).skipped
        events, dead = split(settings, source, again.read())
        assert events == [] and dead == []


def test_a_position_written_against_another_cluster_is_void_and_the_file_is_published_again(
    settings: HubSettings, tmp_path: Path
) -> None:
    """After `hub infra down --wipe` and `up` the cluster is new: the old checkpoints must not claim its files."""
    export = write_export(tmp_path, "health", 120)
    with connector(settings) as files:
        assert files.process(export.path).published == 120
        assert files.process(export.path).skipped
    stored = next(settings.connectors.checkpoint_dir().glob("*.json")).read_text(encoding="utf-8")
    assert kafka_cluster_id(settings) in stored, "a position names the cluster it belongs to"
    elsewhere = CheckpointStore(settings.connectors.checkpoint_dir(), cluster=lambda: "another-cluster-id")
    seen = window(settings, "health")
    with FileConnector(settings, store=elsewhere) as files:
        again = files.process(export.path)
    assert not again.skipped and again.published == 120
    assert elsewhere.voided == [f"file:{export.path.absolute()}"]
    events, _ = split(settings, "health", seen.read())
    assert len(events) == 120


def test_appended_rows_and_new_files_in_a_drop_folder_are_published_once(
    settings: HubSettings, tmp_path: Path
) -> None:
    health = write_export(tmp_path, "health", 120, with_bad=False, name="health_20240601.csv")
    tax = write_export(tmp_path, "tax", 80, with_bad=False, name="tax_20240601.jsonl")
    (tmp_path / "health_20240602.csv.tmp").write_bytes(b"half written")
    seen_health, seen_tax = window(settings, "health"), window(settings, "tax")
    with connector(settings) as files:
        first = watch(files, tmp_path, None, interval_s=0.1, max_polls=3)
        assert sorted(r.path.name for r in first) == ["health_20240601.csv", "tax_20240601.jsonl"]
        append_rows(health, 1000, 40)
        second = watch(files, tmp_path, None, interval_s=0.1, max_polls=3)
        assert [(r.path.name, r.rows) for r in second] == [("health_20240601.csv", 40)]
        assert watch(files, tmp_path, "health", interval_s=0.1, max_polls=3) == []
    events, dead = split(settings, "health", seen_health.read())
    assert sorted(e["record_key"] for e in events) == sorted(health.good_keys) and dead == []
    events, dead = split(settings, "tax", seen_tax.read())
    assert sorted(e["record_key"] for e in events) == sorted(tax.good_keys) and dead == []


def test_replaced_and_empty_files_are_read_again_and_an_unreadable_one_is_an_error(
    settings: HubSettings, tmp_path: Path
) -> None:
    first = write_export(tmp_path, "commerce", 50, with_bad=False)
    with connector(settings) as files:
        assert files.process(first.path).published == 50
        second = write_export(tmp_path, "commerce", 30, start=500, with_bad=False)  # same name, new content
        seen = window(settings, "commerce")
        assert files.process(second.path).published == 30
        events, _ = split(settings, "commerce", seen.read())
        assert sorted(e["record_key"] for e in events) == sorted(second.good_keys)
        empty = tmp_path / "hrss_empty.csv"
        empty.write_bytes(b"")
        assert (files.process(empty).rows, files.process(empty).skipped) == (0, True)
        empty.write_bytes(write_export(tmp_path, "hrss", 5, with_bad=False, name="hrss_full.csv").path.read_bytes())
        assert files.process(empty).published == 5  # an empty file that fills up is read then
        with pytest.raises(SourceReadError):
            files.process(tmp_path / "commerce_missing.csv")
        with pytest.raises(SourceReadError):
            files.process(tmp_path / "unknown_department.csv")
        with files.store.lock(f"file:{second.path}"), pytest.raises(CheckpointError):
            FileConnector(settings, store=files.store).process(second.path)


def _subprocess_env(settings: HubSettings, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "HUB_REGISTRY_URL": settings.registry_url,
        "HUB_TOPICS__DEPARTMENT": TEST_TOPICS.department,
        "HUB_TOPICS__DEAD_LETTER": TEST_TOPICS.dead_letter,
        "HUB_CONNECTORS__STATE_DIR": str(state),
    }


def test_sigkill_mid_file_then_restart_loses_nothing_and_duplicates_only_same_event_ids(
    settings: HubSettings, tmp_path: Path
) -> None:
    export = write_export(tmp_path, "civil_affairs", 100_000)
    state = tmp_path / "state"
    env = _subprocess_env(settings, state)
    # `hub connect file` without the rest of the hub CLI, so that other areas' imports cannot break this test
    command = [sys.executable, "-m", "hub.cli.connect", "file", "civil_affairs", str(export.path),
               "--checkpoint-interval", "0.2"]
    seen = window(settings, "civil_affairs")
    store = CheckpointStore(state)
    key = f"file:{export.path}"
    size = export.path.stat().st_size

    victim = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    checkpoint: FileCheckpoint | None = None
    while time.monotonic() < deadline and victim.poll() is None:
        checkpoint = store.load(key, FileCheckpoint)
        if checkpoint is not None and 0 < checkpoint.offset < size:
            break
        time.sleep(0.05)
    assert victim.poll() is None, "the connector finished before it could be killed; use a larger file"
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    killed_at = store.load(key, FileCheckpoint)
    assert killed_at is not None and 0 < killed_at.offset < size

    restarted = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    final = store.load(key, FileCheckpoint)
    assert final is not None and final.offset == size and final.scanned_size == size

    events, dead = split(settings, "civil_affairs", seen.read())
    ids_by_key: dict[str, set[str]] = {}
    for event in events:
        ids_by_key.setdefault(event["record_key"], set()).add(event["event_id"])
    assert set(ids_by_key) == set(export.good_keys)  # no row missing
    assert all(len(ids) == 1 for ids in ids_by_key.values())  # a duplicate carries the same event id
    assert {d["origin"]["byte_offset"] for d in dead} == {offset for _, _, offset in export.bad.values()}
    resent = len(events) - len(ids_by_key)
    print(f"killed at byte {killed_at.offset} of {size}; {resent} rows re-sent after the restart")


def test_generated_cities_go_through_the_file_connector_row_for_row(settings: HubSettings, tmp_path: Path) -> None:
    try:
        from citygen import generate
    except ImportError as exc:  # being written by another area; the tests above use hand-made files
        pytest.skip(f"the city generator is not available yet ({exc})")
    for seed in (11, 12):
        out = tmp_path / f"city{seed}"
        generate(persons=150, seed=seed, out=out)
        files = sorted(p for p in out.iterdir() if p.is_file())
        assert files
        with connector(settings) as publisher:
            for path in files:
                rows = sum(1 for _ in read_file(path))
                result = publisher.process(path)
                assert result.published + result.dead_letters == result.rows == rows, path.name


# -- HTTP ingest ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(settings: HubSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_http_push_needs_the_departments_key(client: TestClient) -> None:
    row = {"档案号": "JK-HTTP-0", "患者姓名": "王芳", "最后更新时间": "2024-05-01T09:30:00+08:00"}
    assert client.post("/ingest/health", json=row).status_code == 401
    assert client.post("/ingest/health", json=row, headers={"X-Api-Key": KEYS["tax"]}).status_code == 401
    assert client.post("/ingest/civil_affairs", json=row, headers={"X-Api-Key": "anything"}).status_code == 401
    assert client.post("/ingest/nowhere", json=row, headers={"X-Api-Key": KEYS["health"]}).status_code == 404


def test_http_push_accepts_and_rejects_per_row_after_kafka_acknowledged(
    settings: HubSettings, client: TestClient
) -> None:
    rows: list[Any] = [
        {"档案号": "JK-HTTP-1", "患者姓名": "王芳", "性别代码": "2", "最后更新时间": "2024-05-01T09:30:00+08:00"},
        {"档案号": "JK-HTTP-2", "患者姓名": "", "最后更新时间": "2024-05-01T09:30:00+08:00"},
        {"档案号": "JK-HTTP-3", "患者姓名": "李强", "性别代码": "7", "最后更新时间": "2024-05-01T09:30:00+08:00"},
        ["not", "an", "object"],
        {"档案号": "JK-HTTP-4", "患者姓名": "张伟", "出生日期": "19850312", "最后更新时间": "2024-05-02T10:00:00Z"},
    ]
    seen = window(settings, "health")
    answer = client.post("/ingest/health", json=rows, headers={"X-Api-Key": KEYS["health"]})
    assert answer.status_code == 200
    body = answer.json()
    assert [r["status"] for r in body["rows"]] == ["accepted", "rejected", "rejected", "rejected", "accepted"]
    assert (body["accepted"], body["rejected"]) == (2, 3)
    assert body["rows"][1]["field"] == "患者姓名" and body["rows"][2]["field"] == "性别代码"
    events, dead = split(settings, "health", seen.read())  # acknowledged before the answer: readable now
    assert sorted(e["record_key"] for e in events) == ["JK-HTTP-1", "JK-HTTP-4"]
    assert {e["event_id"] for e in events} == {body["rows"][0]["event_id"], body["rows"][4]["event_id"]}
    assert sorted(d["origin"]["request_id"] for d in dead) == [f"{body['request_id']}#{i}" for i in (1, 2, 3)]
    assert all(d["reason"] for d in dead)

    single = client.post("/ingest/health", json=rows[0], headers={"X-Api-Key": KEYS["health"]}).json()
    assert single["rows"][0]["event_id"] == body["rows"][0]["event_id"]  # same row, same event id


def test_http_push_of_tax_rows_with_json_numbers(settings: HubSettings, client: TestClient) -> None:
    row = {"nsrbh": "TX-HTTP-1", "xm": "刘芳", "zjlx": "201", "nd": 2023, "nsje": "12345.67", "gxsj": 1714527000000}
    answer = client.post("/ingest/tax", json=[row, {**row, "gxsj": "yesterday"}], headers={"X-Api-Key": KEYS["tax"]})
    assert [r["status"] for r in answer.json()["rows"]] == ["accepted", "rejected"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"\xe7\xba\xb3\xe7\xa8\x8e\xe4\xba\xba\xe7\xbc\x96\xe5\x8f\xb7,xm\nTX-CSV-1,\xe5\x88\x98\n", "text/csv", 415),
        (bytes(range(256)), "application/octet-stream", 415),
        (b'{"nsrbh": "TX-BIG-1", "xm": "' + b"x" * 5_000_000 + b'"}', "application/json", 413),
        (b'{"nsrbh": "TX-SUR-1", "xm": "\\ud800"}', "application/json", 400),
        (b'{"nsrbh": "TX-CUT-1", "xm": "', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
    ],
    ids=["csv", "binary", "5-MB-row", "lone-surrogate", "truncated", "not-utf8"],
)
def test_http_push_of_a_body_that_is_not_json_rows_is_refused_whole(
    settings: HubSettings, client: TestClient, body: bytes, content_type: str, status: int
) -> None:
    """What a department system may send by mistake: a clear 4xx problem, and nothing reaches Kafka."""
    seen = window(settings, "tax")
    answer = client.post("/ingest/tax", content=body, headers={"X-Api-Key": KEYS["tax"], "Content-Type": content_type})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == status and answer.json()["detail"]
    events, dead = split(settings, "tax", seen.read())
    assert events == [] and dead == []


# -- DB connector --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    from tests.integration.pg_cluster import ClusterUnavailableError, throwaway_cluster

    try:
        with throwaway_cluster() as dsn:
            yield dsn
    except ClusterUnavailableError as exc:
        pytest.skip(f"PostgreSQL is not available: {exc}")


CIVIL_TABLE = """
CREATE TABLE mz_export (
    记录编号 text PRIMARY KEY, 姓名 text, 性别 text, 公民身份号码 text, 出生日期 date, 民族 text, 婚姻状况 text,
    户籍地址 text, 居住地址 text, 联系电话 text, 所属街道 text, 所属社区 text, 救助类型 text, 养老服务对象 text,
    死亡日期 date, 更新时间 timestamp
)"""
TAX_TABLE = """
CREATE TABLE ss_export (
    nsrbh text PRIMARY KEY, xm text, zjlx text, zjhm text, lxdh text, jzdz text, rzdw text, rzdw_shxydm text,
    nd integer, nsje numeric(14, 2), gxsj bigint
)"""


def _insert_civil(conn: Any, first: int, count: int, when: str) -> None:
    with conn.cursor() as cur:
        for i in range(first, first + count):
            cur.execute(
                "INSERT INTO mz_export (记录编号, 姓名, 性别, 出生日期, 联系电话, 更新时间) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (f"MZDB{i:05d}", f"测试{i}", "男女"[i % 2], "1980-03-12", f"139{i:08d}", when),
            )


def test_db_connector_publishes_inserted_and_updated_rows_exactly_once(settings: HubSettings, postgres: str) -> None:
    import psycopg

    from connectors.db_connector import DbConnector

    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(CIVIL_TABLE)
        _insert_civil(conn, 0, 25, "2024-05-01 09:00:00")  # one update time for all: the key breaks the ties
        conn.execute("UPDATE mz_export SET 姓名 = NULL WHERE 记录编号 = 'MZDB00007'")  # required value missing
        seen = window(settings, "civil_affairs")
        with DbConnector(settings, "civil_affairs", postgres, "mz_export", batch_size=10) as poller:
            first = poller.poll_once()
            assert (first.rows, first.published, first.dead_letters, first.batches) == (25, 24, 1, 3)
            assert poller.poll_once().rows == 0

            _insert_civil(conn, 100, 5, "2024-05-02 10:00:00")
            conn.execute(
                "UPDATE mz_export SET 联系电话 = '13800000000', 更新时间 = '2024-05-03 08:00:00' "
                "WHERE 记录编号 IN ('MZDB00001', 'MZDB00002', 'MZDB00007')"
            )
            conn.execute("UPDATE mz_export SET 姓名 = '补录' WHERE 记录编号 = 'MZDB00007'")
            second = poller.poll_once()
            assert (second.rows, second.published, second.dead_letters) == (8, 8, 0)
        with DbConnector(settings, "civil_affairs", postgres, "mz_export", batch_size=10) as restarted:
            assert restarted.poll_once().rows == 0  # the watermark survived the restart
    events, dead = split(settings, "civil_affairs", seen.read())
    versions = Counter((e["record_key"], e["source_updated_at"]) for e in events)
    assert len(versions) == 32 and set(versions.values()) == {1}
    assert {k for k, _ in versions if k in ("MZDB00001", "MZDB00002")} == {"MZDB00001", "MZDB00002"}
    assert [d["record_key"] for d in dead] == ["MZDB00007"] and dead[0]["field"] == "姓名"


def test_db_connector_reads_typed_columns_in_the_departments_formats(settings: HubSettings, postgres: str) -> None:
    import psycopg

    from connectors.db_connector import DbConnector

    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(TAX_TABLE)
        conn.execute(
            "INSERT INTO ss_export (nsrbh, xm, zjlx, nd, nsje, gxsj) VALUES "
            "('TXDB1', '刘芳', '201', 2023, 12345.67, 1714527000000), "
            "('TXDB2', '张伟', '208', 2023, 0.50, 1714527060000)"
        )
        seen = window(settings, "tax")
        stop = threading.Event()
        with DbConnector(settings, "tax", postgres, "ss_export", stop=stop) as poller:
            totals = poller.run(0.1, once=True)
    assert (totals.rows, totals.published) == (2, 2)
    events, _ = split(settings, "tax", seen.read())
    by_key = {e["record_key"]: e["record"] for e in events}
    assert str(by_key["TXDB1"]["tax_paid"]) == "12345.67" and by_key["TXDB2"]["document_type"] == "passport"


@pytest.fixture(scope="module")
def mariadb() -> Iterator[str]:
    from tests.integration.mariadb_server import MariaDbUnavailableError, throwaway_mariadb

    try:
        with throwaway_mariadb() as dsn:
            yield dsn
    except MariaDbUnavailableError as exc:
        pytest.skip(f"MariaDB is not available: {exc}")


def test_db_connector_polls_mysql_tables_the_same_way(settings: HubSettings, mariadb: str) -> None:
    import pymysql

    from connectors.db_connector import DbConnector

    port = int(mariadb.rsplit(":", 1)[1].strip("/"))
    conn = pymysql.connect(host="127.0.0.1", port=port, user="root", autocommit=True, charset="utf8mb4")
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE dept CHARACTER SET utf8mb4")
        cur.execute(
            "CREATE TABLE dept.rs_export (个人编号 varchar(32) PRIMARY KEY, 姓名 varchar(64), "
            "参保状态 varchar(16), 出生日期 date, 变更时间 datetime) CHARACTER SET utf8mb4"
        )
        for i in range(12):
            status = "参保缴费" if i != 4 else "未知"
            cur.execute(
                "INSERT INTO dept.rs_export VALUES (%s, %s, %s, %s, %s)",
                (f"RSDB{i:03d}", f"张{i}", status, "1990-01-15", "2024-05-01 09:30"),
            )
    seen = window(settings, "hrss")
    with DbConnector(settings, "hrss", mariadb + "dept", "rs_export", batch_size=5) as poller:
        assert poller.poll_once() == PollResult(12, 11, 1, 3)
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE dept.rs_export SET 参保状态 = '暂停缴费', 变更时间 = '2024-05-02 10:00' "
                "WHERE 个人编号 IN ('RSDB001', 'RSDB004')"
            )
        assert poller.poll_once() == PollResult(2, 2, 0, 1)
    conn.close()
    events, dead = split(settings, "hrss", seen.read())
    assert len(events) == 13 and [d["record_key"] for d in dead] == ["RSDB004"]
