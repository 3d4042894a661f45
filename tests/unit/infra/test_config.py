"""`hub infra` parts that need no running service: settings, rendered configs, env file, JDK choice, pids."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import pytest

from hub.contract.errors import InfraError, SettingsError
from hub.infra import process
from hub.infra.apicurio import application_properties, choose_version, storage_ready
from hub.infra.config import load_infra_config, port_of_bootstrap, port_of_url
from hub.infra.envfile import render_env
from hub.infra.jdk import Jdk, parse_major
from hub.infra.kafka import log4j2_properties, new_cluster_id, server_properties
from hub.infra.maven import slf4j_binding_for
from hub.infra.redis_server import HASH_MAX_LISTPACK_VALUE, redis_conf


@pytest.fixture(autouse=True)
def _no_infra_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("HUB_INFRA__"):
            monkeypatch.delenv(key)


def _props(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_ports_are_parsed_from_addresses() -> None:
    assert port_of_bootstrap("127.0.0.1:19092") == 19092
    assert port_of_bootstrap("a:1, b:2") == 1
    assert port_of_url("http://127.0.0.1:18081/apis/ccompat/v7") == 18081
    assert port_of_url("redis://127.0.0.1:16379/0") == 16379
    for bad in ("127.0.0.1", "host:port", "h:70000"):
        with pytest.raises(ValueError):
            port_of_bootstrap(bad)
    with pytest.raises(ValueError):
        port_of_url("http://127.0.0.1/apis")


def test_default_ports_come_from_hub_settings_defaults() -> None:
    cfg = load_infra_config()
    assert cfg.ports() == {
        "kafka_port": 19092,
        "kafka_controller_port": 19093,
        "registry_port": 18081,
        "registry_management_port": 18082,
        "redis_port": 16379,
    }
    assert cfg.kafka_bootstrap == "127.0.0.1:19092"
    assert cfg.registry_url == "http://127.0.0.1:18081/apis/ccompat/v7"
    assert cfg.redis_url == "redis://127.0.0.1:16379/0"


def test_ports_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_INFRA__KAFKA_PORT", "29092")
    monkeypatch.setenv("HUB_INFRA__REGISTRY_MANAGEMENT_PORT", "28999")
    cfg = load_infra_config()
    assert cfg.kafka_bootstrap == "127.0.0.1:29092"
    assert cfg.controller_port == 29093
    assert cfg.management_port == 28999


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("HUB_INFRA__KAFKA_PORT", "70000", "KAFKA_PORT"),
        ("HUB_INFRA__REDIS_PORT", "abc", "REDIS_PORT"),
        ("HUB_INFRA__REDIS_PORT", "18081", "both use port 18081"),
        ("HUB_INFRA__HOST", "10.1.2.3", "loopback"),
    ],
)
def test_bad_settings_give_one_readable_error(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=fragment):
        load_infra_config()


def test_kafka_config_is_a_loopback_single_node_dynamic_quorum(tmp_path: Path) -> None:
    props = _props(server_properties(host="127.0.0.1", port=19092, controller_port=19093, data_dir=tmp_path))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert "controller.quorum.voters" not in props  # would need a format without --standalone
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["log.dirs"] == str(tmp_path)
    assert props["offsets.topic.replication.factor"] == "1"


def test_kafka_logging_is_a_properties_file_logger(tmp_path: Path) -> None:
    text = log4j2_properties(tmp_path / "server.log")
    assert f"appender.file.fileName = {tmp_path / 'server.log'}" in text
    assert "rootLogger.appenderRef.file.ref = FILE" in text


def test_cluster_id_has_kafkas_form() -> None:
    for _ in range(50):
        cid = new_cluster_id()
        assert len(cid) == 22 and not cid.startswith("-")
        assert len(base64.urlsafe_b64decode(cid + "==")) == 16


def test_slf4j_binding_matches_the_api_major() -> None:
    assert slf4j_binding_for(["kafka_2.13-4.3.1.jar", "slf4j-api-1.7.36.jar"]) == "log4j-slf4j-impl"
    assert slf4j_binding_for(["slf4j-api-2.0.17.jar"]) == "log4j-slf4j2-impl"
    with pytest.raises(InfraError):
        slf4j_binding_for(["kafka-clients-4.3.1.jar"])


def test_registry_config_uses_kafkasql_on_our_broker_and_allows_deletes(tmp_path: Path) -> None:
    props = _props(application_properties(load_infra_config(), tmp_path))
    assert props["apicurio.storage.kind"] == "kafkasql"
    assert props["apicurio.kafkasql.bootstrap.servers"] == "127.0.0.1:19092"
    assert props["quarkus.http.host"] == props["quarkus.management.host"] == "127.0.0.1"
    assert props["quarkus.http.port"] == "18081"
    assert props["quarkus.management.port"] == "18082"
    for kind in ("group", "artifact", "artifact-version"):
        assert props[f"apicurio.rest.deletion.{kind}.enabled"] == "true"


def test_registry_is_ready_only_once_its_storage_is() -> None:
    def body(storage: str, overall: str = "DOWN") -> dict[str, object]:
        checks = [{"name": "ResponseTimeoutReadinessCheck", "status": "DOWN"}]
        checks.append({"name": "PersistenceSimpleReadinessCheck", "status": storage})
        return {"status": overall, "checks": checks}

    assert storage_ready(body("UP"))  # a flapping response-time check does not count
    assert not storage_ready(body("DOWN", overall="UP"))
    assert storage_ready({"status": "UP", "checks": []})
    assert not storage_ready(["unexpected"])


def test_registry_version_follows_the_newest_jdk() -> None:
    cfg = load_infra_config()
    j17, j21, j25 = (Jdk(m, Path(f"/jvm/{m}")) for m in (17, 21, 25))
    assert choose_version(cfg, [j17, j25, j21]) == (cfg.registry_version, j25)
    assert choose_version(cfg, [j17]) == (cfg.registry_fallback_version, j17)
    with pytest.raises(InfraError):
        choose_version(cfg, [Jdk(11, Path("/jvm/11"))])
    with pytest.raises(InfraError):
        choose_version(cfg, [])


def test_java_versions_are_parsed() -> None:
    assert parse_major("25.0.3") == 25
    assert parse_major("17") == 17
    assert parse_major("1.8.0_292") == 8
    assert parse_major("weird") is None


def test_redis_conf_is_loopback_with_append_only_file(tmp_path: Path) -> None:
    text = redis_conf(host="127.0.0.1", port=16379, data_dir=tmp_path / "a b")
    lines = set(text.splitlines())
    assert {"bind 127.0.0.1", "port 16379", "appendonly yes", "daemonize no"} <= lines
    assert f'dir "{tmp_path / "a b"}"' in lines
    assert f"hash-max-listpack-value {HASH_MAX_LISTPACK_VALUE}" in lines  # the record buckets stay listpacks


def test_env_file_keeps_other_lines_and_replaces_ours() -> None:
    existing = "# note\nHUB_KAFKA_BOOTSTRAP=old:1\nHUB_CITY_CODE=110100\nHUB_KAFKA_BOOTSTRAP=dup:2\n"
    values = {"HUB_KAFKA_BOOTSTRAP": "127.0.0.1:19092", "HUB_REDIS_URL": "redis://127.0.0.1:16379/0"}
    assert render_env(existing, values) == (
        "# note\nHUB_KAFKA_BOOTSTRAP=127.0.0.1:19092\nHUB_CITY_CODE=110100\nHUB_REDIS_URL=redis://127.0.0.1:16379/0\n"
    )
    assert render_env(render_env(existing, values), values) == render_env(existing, values)


def test_pid_files_name_one_process_only(tmp_path: Path) -> None:
    pidfile = tmp_path / "me.pid"
    record = process.write_pidfile(pidfile, os.getpid())
    assert process.read_pidfile(pidfile) == record
    assert process.live_pid(pidfile) == os.getpid()
    pidfile.write_text(f"{os.getpid()} {record.start_ticks + 1}\n")  # same pid, another process
    assert process.live_pid(pidfile) is None
    pidfile.write_text("garbage\n")
    assert process.read_pidfile(pidfile) is None


def test_spawned_process_is_detached_logged_and_stopped(tmp_path: Path) -> None:
    log, pidfile = tmp_path / "out.log", tmp_path / "p.pid"
    code = "import signal, sys, time; print('ready', flush=True); time.sleep(60)"
    pid = process.spawn([sys.executable, "-c", code], log=log, cwd=tmp_path)
    process.write_pidfile(pidfile, pid)
    assert os.getsid(pid) != os.getsid(0)
    assert process.wait_for(lambda: process.tail(log) == ["ready"], timeout=10)
    assert process.stop(pidfile, timeout=10) == pid
    assert not pidfile.exists() and process.start_ticks(pid) is None
    assert process.stop(pidfile, timeout=1) is None


def test_tail_reads_only_lines_written_after_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("old 1\nold 2\n")
    offset = process.size(log)
    with log.open("a") as handle:
        handle.write("new 1\n\nnew 2\n")
    assert process.tail(log, since=offset) == ["new 1", "new 2"]
    assert process.tail(log, 1) == ["new 2"]
    assert process.tail(tmp_path / "missing.log") == []
