"""What `hub infra` starts and where: ports, versions, heaps, timeouts and the folders it uses.

Every knob is an environment variable `HUB_INFRA__<FIELD>` (upper-case field name), for example
`HUB_INFRA__KAFKA_PORT=29092`, `HUB_INFRA__REGISTRY_PORT=28081`, `HUB_INFRA__REDIS_PORT=26379`,
`HUB_INFRA__KAFKA_VERSION=4.4.0`. The default ports are read from the default addresses in
`hub.settings.HubSettings`, so an address is written down in one place only; `hub infra up` then
writes the addresses it really used to `.hub/env`, which the hub's settings read.
Data and logs live under `hub.settings.state_dir()`, downloads under `hub.settings.cache_dir()`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.contract.errors import SettingsError
from hub.settings import HubSettings, cache_dir, state_dir

#: Path of the Confluent-compatible API inside Apicurio Registry.
CCOMPAT_PATH = "/apis/ccompat/v7"


def port_of_bootstrap(bootstrap: str) -> int:
    """Port of the first `host:port` in a Kafka bootstrap list."""
    first = bootstrap.split(",")[0].strip()
    _, sep, port = first.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{first!r} is not host:port")
    return _checked_port(int(port))


def port_of_url(url: str) -> int:
    """Explicit port of an http:// or redis:// URL (a URL without one is rejected, not guessed)."""
    port = urlparse(url).port
    if port is None:
        raise ValueError(f"{url!r} names no port")
    return _checked_port(port)


def _checked_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1..65535")
    return port


def _default(field: str) -> str:
    value = HubSettings.model_fields[field].default
    assert isinstance(value, str)
    return value


@dataclass(frozen=True)
class InfraPaths:
    """Folders and files of the local services; one folder per service keeps `--wipe` simple."""

    state: Path
    cache: Path

    @property
    def env_file(self) -> Path:
        return self.state / "env"

    @property
    def lock_file(self) -> Path:
        return self.state / "infra.lock"

    @property
    def kafka(self) -> Path:
        return self.state / "kafka"

    @property
    def registry(self) -> Path:
        return self.state / "registry"

    @property
    def redis(self) -> Path:
        return self.state / "redis"


class InfraConfig(BaseSettings):
    """Settings of the local Kafka broker, Apicurio registry and Redis; env prefix `HUB_INFRA__`."""

    model_config = SettingsConfigDict(env_prefix="HUB_INFRA__", extra="ignore", frozen=True)

    host: str = Field(default="127.0.0.1", description="loopback address every service binds to")
    kafka_port: int = Field(default_factory=lambda: port_of_bootstrap(_default("kafka_bootstrap")))
    kafka_controller_port: int = Field(default=0, description="0 means kafka_port + 1")
    registry_port: int = Field(default_factory=lambda: port_of_url(_default("registry_url")))
    registry_management_port: int = Field(default=0, description="0 means registry_port + 1 (health)")
    redis_port: int = Field(default_factory=lambda: port_of_url(_default("redis_url")))

    kafka_version: str = "4.3.1"
    log4j_version: str = "2.25.3"
    registry_version: str = Field(default="3.3.3", description="needs Java 21+")
    registry_fallback_version: str = Field(default="3.0.9", description="Java 17 build, used without a 21+ JDK")
    registry_min_java: int = 21
    kafka_min_java: int = 17

    kafka_heap: str = "512m"
    registry_heap: str = "768m"
    jvm_dir: Path = Path("/usr/lib/jvm")
    kafka_java_home: Path | None = None
    registry_java_home: Path | None = None

    start_timeout_s: float = Field(default=90.0, gt=0)
    stop_timeout_s: float = Field(default=30.0, gt=0)
    download_timeout_s: float = Field(default=900.0, gt=0)

    @field_validator("host")
    @classmethod
    def _host_is_loopback(cls, value: str) -> str:
        if value == "localhost":
            return value
        try:
            loopback = ipaddress.ip_address(value).is_loopback
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        if not loopback:
            raise ValueError(f"{value!r} is not a loopback address; local services listen on loopback only")
        return value

    @field_validator("kafka_port", "registry_port", "redis_port")
    @classmethod
    def _port_in_range(cls, value: int) -> int:
        return _checked_port(value)

    @field_validator("kafka_controller_port", "registry_management_port")
    @classmethod
    def _optional_port_in_range(cls, value: int) -> int:
        return value if value == 0 else _checked_port(value)

    @model_validator(mode="after")
    def _ports_are_distinct(self) -> InfraConfig:
        ports = self.ports()
        seen: dict[int, str] = {}
        for name, port in ports.items():
            if port in seen:
                raise ValueError(f"{name} and {seen[port]} both use port {port}")
            if port > 65535:
                raise ValueError(f"{name} {port} is outside 1..65535")
            seen[port] = name
        return self

    def ports(self) -> dict[str, int]:
        """Every port the services listen on, by purpose."""
        return {
            "kafka_port": self.kafka_port,
            "kafka_controller_port": self.kafka_controller_port or self.kafka_port + 1,
            "registry_port": self.registry_port,
            "registry_management_port": self.registry_management_port or self.registry_port + 1,
            "redis_port": self.redis_port,
        }

    @property
    def controller_port(self) -> int:
        return self.ports()["kafka_controller_port"]

    @property
    def management_port(self) -> int:
        return self.ports()["registry_management_port"]

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def registry_base_url(self) -> str:
        return f"http://{self.host}:{self.registry_port}"

    @property
    def registry_url(self) -> str:
        return self.registry_base_url + CCOMPAT_PATH

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"

    @property
    def paths(self) -> InfraPaths:
        return InfraPaths(state=state_dir(), cache=cache_dir())


def load_infra_config(**overrides: object) -> InfraConfig:
    """Read HUB_INFRA__* settings, turning validation failures into one readable SettingsError."""
    try:
        return InfraConfig(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            (f"HUB_INFRA__{'__'.join(str(p) for p in err['loc']).upper()}: " if err["loc"] else "") + err["msg"]
            for err in exc.errors()
        )
        raise SettingsError(f"invalid infra settings: {problems}") from None
