"""`hub infra stop|start SERVICE` without running services: names, and the registry's need of Kafka."""

from __future__ import annotations

import os

import pytest

from hub.contract.errors import InfraError
from hub.infra import stack
from hub.infra.config import InfraConfig, load_infra_config


@pytest.fixture
def cfg(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> InfraConfig:
    for key in list(os.environ):
        if key.startswith("HUB_INFRA__"):
            monkeypatch.delenv(key)
    # ports nothing listens on, so no service of anyone's answers
    return load_infra_config(kafka_port=39991, kafka_controller_port=39992, registry_port=39993,
                             registry_management_port=39994, redis_port=39995)


def test_an_unknown_service_is_named_with_the_choices(cfg: InfraConfig) -> None:
    with pytest.raises(InfraError, match="expected one of kafka, redis, registry"):
        stack.stop_service(cfg, "zookeeper")


def test_the_registry_is_not_started_without_kafka(cfg: InfraConfig) -> None:
    with pytest.raises(InfraError, match="registry needs kafka running first"):
        stack.start_service(cfg, "registry")


def test_every_service_says_what_it_needs() -> None:
    assert set(stack.NEEDS) == {"kafka", "registry", "redis"}
