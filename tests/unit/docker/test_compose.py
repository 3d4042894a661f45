"""The production compose file, read as Docker would read it (no Docker engine here): valid against the
Compose Specification's JSON schema, and consistent with the hub's own settings and monitoring files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from hub import REPO_ROOT
from hub.infra.redis_server import HASH_MAX_LISTPACK_VALUE
from hub.settings import HubSettings

DOCKER = REPO_ROOT / "docker"
#: Fetched by `make setup` (scripts/setup.sh) from the docker-compose wheel on PyPI.
SPEC = REPO_ROOT / ".cache" / "compose-spec" / "compose_spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    assert SPEC.is_file(), f"{SPEC} is missing: run `make setup`, which fetches the Compose schema"
    schema = json.loads(SPEC.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator(schema).validate(compose)


def _setting_exists(model: type[BaseModel], path: list[str]) -> bool:
    """Whether HUB_A__B names a field: case-insensitive, nested models by `__` (pydantic-settings' rule)."""
    fields = {name.lower(): info for name, info in model.model_fields.items()}
    info = fields.get(path[0].lower())
    if info is None:
        return False
    if len(path) == 1:
        return True
    annotation = info.annotation
    return isinstance(annotation, type) and issubclass(annotation, BaseModel) and _setting_exists(annotation, path[1:])


def test_every_hub_variable_the_deployment_sets_is_a_setting(compose: dict[str, Any]) -> None:
    set_anywhere = {name for service in compose["services"].values()
                    for name in (service.get("environment") or {}) if name.startswith("HUB_")}
    assert {"HUB_KAFKA_BOOTSTRAP", "HUB_REDIS_URL", "HUB_CITIZEN_ID_KEY", "HUB_WINDOW__GRANT_KEY"} <= set_anywhere
    unknown = sorted(n for n in set_anywhere if not _setting_exists(HubSettings, n.removeprefix("HUB_").split("__")))
    assert unknown == [], f"the compose file sets variables no setting reads: {unknown}"


def test_ports_and_names_agree_across_compose_and_monitoring(compose: dict[str, Any]) -> None:
    services = compose["services"]
    serve = services["hub-serve"]
    port = serve["command"][serve["command"].index("--port") + 1]
    assert f"127.0.0.1:{port}:{port}" in serve["ports"], "published where hub serve listens, on loopback"
    scrape = yaml.safe_load((DOCKER / "monitoring" / "prometheus.yml").read_text(encoding="utf-8"))
    targets = [t for job in scrape["scrape_configs"] for conf in job["static_configs"] for t in conf["targets"]]
    assert targets == [f"hub-serve:{port}"], "Prometheus scrapes the hub's /metrics where it is served"
    env = services["hub-processor"]["environment"]
    for host_port in env["HUB_KAFKA_BOOTSTRAP"].split(","):
        host, _, broker_port = host_port.partition(":")
        assert host in services and broker_port == "9092"
    assert env["HUB_REDIS_URL"] == "redis://redis:6379/0" and "redis" in services
    assert re.match(r"http://registry:8080/", env["HUB_REGISTRY_URL"]) and "registry" in services
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert all(str(p).startswith("127.0.0.1:") for p in published), "every published port on loopback only"


def test_the_cluster_keeps_three_replicas_and_two_in_sync(compose: dict[str, Any]) -> None:
    brokers = [s for name, s in compose["services"].items() if name.startswith("kafka-")]
    assert len(brokers) == 3
    for broker in brokers:
        env = broker["environment"]
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3 and env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
    assert compose["services"]["registry"]["environment"]["APICURIO_STORAGE_KIND"] == "kafkasql"
    assert "--appendonly" in compose["services"]["redis"]["command"]


def test_the_monitoring_files_compose_mounts_exist(compose: dict[str, Any]) -> None:
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                assert (DOCKER / source).exists(), f"{name} mounts {source}, which is not in docker/"


def test_no_secret_has_a_default_in_the_compose_file() -> None:
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    for secret in ("HUB_CITIZEN_ID_KEY", "HUB_WINDOW__GRANT_KEY", "GRAFANA_ADMIN_PASSWORD"):
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required, never defaulted"
    assert Path(DOCKER / "Dockerfile").is_file()


def test_redis_keeps_the_record_buckets_compact(compose: dict[str, Any]) -> None:
    """Production Redis has the `hash-max-listpack-value` `hub infra` gives its own (hub.readmodel.store)."""
    command = compose["services"]["redis"]["command"]
    at = command.index("--hash-max-listpack-value")
    assert int(command[at + 1]) == HASH_MAX_LISTPACK_VALUE
