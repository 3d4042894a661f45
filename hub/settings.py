"""One settings model for the whole hub: environment (HUB_*), the env file written by `hub infra up`, hub.toml.

Precedence, highest first: explicit keyword arguments, HUB_* environment variables, `.hub/env`
(written by `hub infra up` with the addresses it started), `hub.toml`, the defaults below.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hub import REPO_ROOT
from hub.contract.errors import SettingsError
from hub.contract.sources import SOURCES


def state_dir() -> Path:
    """Folder for local service data, logs and the env file (git-ignored)."""
    return Path(os.environ.get("HUB_STATE_DIR", REPO_ROOT / ".hub"))


def cache_dir() -> Path:
    """Folder for downloads (Maven jars, the registry distribution); git-ignored, kept between runs."""
    return Path(os.environ.get("HUB_CACHE_DIR", REPO_ROOT / ".cache"))


class TopicNames(BaseModel):
    """Topic names; `{source}` is replaced by a department name."""

    department: str = "dept.{source}.v1"
    dead_letter: str = "dlq.{source}.v1"
    master_citizen: str = "master.citizen.v1"
    master_address: str = "master.address.v1"
    master_organization: str = "master.organization.v1"
    lifecycle: str = "master.lifecycle.v1"
    conflicts: str = "quality.conflicts.v1"
    audit: str = "audit.access.v1"
    feedback: str = "quality.feedback.v1"
    credentials: str = "window.credentials.v1"

    def dept(self, source: str) -> str:
        return self.department.format(source=source)

    def dlq(self, source: str) -> str:
        return self.dead_letter.format(source=source)


class TopicPolicy(BaseModel):
    """Partitions and retention that `hub topics ensure` applies."""

    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    department_retention_ms: int = 7 * 24 * 3600 * 1000
    dead_letter_retention_ms: int = 30 * 24 * 3600 * 1000
    audit_retention_ms: int = 365 * 24 * 3600 * 1000


class ProcessorSettings(BaseModel):
    """The streaming processors (`hub process`): consumer group, internal topic, batch and buffer bounds."""

    app_id: str = "citizen-hub-processors"  # faust app id = consumer group
    resolve_topic: str = "hub.resolve.v1"  # internal, one partition per city: each city engine's single writer
    # stage 2 takes what is there, up to this many events per engine batch: a backlog is resolved in large
    # batches (each master rebuilt and written once per batch, not once per record of it); a trickle still
    # goes through after batch_within_s
    batch_max: int = Field(default=50_000, ge=1)
    batch_within_s: float = Field(default=0.5, gt=0)
    # stage 1 forwards up to this many records in one hub.resolve.v1 message (the hop costs faust and
    # aiokafka per message, not per byte), gathered for at most forward_within_s; 1 = a message per record
    forward_max: int = Field(default=500, ge=1)
    forward_within_s: float = Field(default=0.1, gt=0)
    # a worker that starts on an empty engine state with at least this many uncommitted department events
    # resolves them in bulk (processors/bootstrap.py) before consuming incrementally; 0 = never
    bootstrap_min_events: int = Field(default=50_000, ge=0)
    stream_buffer_maxsize: int = Field(default=1000, ge=1)
    # faust consumer_max_fetch_size: prefetched bytes per assigned partition, the one buffer counted in bytes
    fetch_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    commit_interval_s: float = Field(default=1.0, gt=0)
    session_timeout_s: float = Field(default=10.0, gt=0)  # how soon a killed worker's partitions move
    web_port: int | None = None  # None: faust's web server is disabled; else bound to 127.0.0.1
    redis_prefix: str = "hub:"
    # a Redis reply slower than this is one failed attempt (retried); redis-py's own default is 5 s
    redis_timeout_s: float = Field(default=10.0, gt=0)
    # how long one batch keeps retrying Kafka/Redis before the worker exits uncommitted (code 75): a slow or
    # briefly paused sink only slows consumption; one that stays away this long is an outage for a supervisor
    sink_patience_s: float = Field(default=300.0, gt=0)
    loglevel: str = "WARNING"
    # diagnostics only (processors/memtrace.py): trace allocations and write their growth to this folder
    # every memtrace_every_s; tracing slows the worker and adds memory of its own
    memtrace_dir: Path | None = None
    memtrace_every_s: float = Field(default=60.0, gt=0)


class ConnectorSettings(BaseModel):
    """Connectors (`connectors/`): where they keep their positions, and who may push over HTTP.

    `ingest_keys` maps a department (`civil_affairs`, ...) to the API key its system sends in
    `X-Api-Key` to `POST /ingest/{source}`; a department without a key cannot push. Set them with
    `HUB_CONNECTORS__INGEST_KEYS='{"health": "..."}'` or in hub.toml, never in code.
    """

    state_dir: Path | None = Field(
        default=None, description="checkpoints and watermarks; default <state dir>/connectors"
    )
    ingest_keys: dict[str, SecretStr] = Field(default_factory=dict)
    ingest_max_rows: int = Field(default=10_000, ge=1, description="largest batch one push may carry")
    ingest_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="largest body one push may be")
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(default=18090, ge=1, le=65535)

    @field_validator("ingest_keys")
    @classmethod
    def _keys_name_departments(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        unknown = sorted(set(value) - set(SOURCES))
        if unknown:
            raise ValueError(f"no department {', '.join(unknown)}; expected {', '.join(SOURCES)}")
        return value

    def checkpoint_dir(self) -> Path:
        return self.state_dir or state_dir() / "connectors"


class WindowSettings(BaseModel):
    """`HUB_WINDOW__*`: where the window keeps its state and how it limits callers."""

    redis_prefix: str = Field(default="hub:window:", description="credentials, disclosures, rate windows")
    purposes_file: Path | None = Field(default=None, description="default: hub/window/purposes.toml")
    grant_key: SecretStr = Field(
        default=SecretStr("citizen-hub-development-grant-key"),
        description="HMAC key of resident grants (扫码授权); set a secret one in production",
    )
    grant_max_ttl_s: int = Field(default=900, ge=30, le=86_400)
    audit_spool: Path | None = Field(default=None, description="default: <state dir>/window/audit-spool.jsonl")
    audit_timeout_s: float = Field(default=2.0, gt=0)
    audit_retry_s: float = Field(default=5.0, ge=0, description="after Kafka failed, spool directly this long")
    credential_cache_s: float = Field(default=5.0, ge=0, description="how long a worker trusts a credential it read; "
                                      "revoke/rotate from elsewhere take effect within this")
    rate_per_s: float = Field(default=20.0, gt=0, description="sustained requests per second per credential")
    rate_burst: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=256)
    max_candidates: int = Field(default=20, ge=1, le=200)
    disclosures_kept: int = Field(default=1000, ge=10, description="per citizen, for 本人查询")

    def spool_path(self) -> Path:
        return self.audit_spool or state_dir() / "window" / "audit-spool.jsonl"


def _default_cadences() -> dict[str, float]:
    """Expected export cadence per department, seconds: health pushes hourly, the others export daily."""
    return {"civil_affairs": 86_400.0, "health": 3_600.0, "hrss": 86_400.0, "tax": 86_400.0, "commerce": 86_400.0}


class OpsSettings(BaseModel):
    """Operations (`hub lag`, `/metrics`, `/ops`, `hub dlq`): the status window and departments' cadences.

    `lag_window_s` replaces Burrow's last-10-commits with a time window (the processors commit every
    second, so ten commits would be ten seconds). Samples of committed and end offsets are kept in Redis
    under `<processors.redis_prefix>ops:` for `lag_keep_s`, so a single `hub lag` has history.
    """

    lag_window_s: float = Field(default=600.0, gt=0)
    lag_keep_s: float = Field(default=3_600.0, gt=0)
    allowed_lag: int = Field(default=0, ge=0)  # Burrow's allowed-lag: lag at or below this counts as caught up
    cadence_s: dict[str, float] = Field(default_factory=_default_cadences)  # SILENT after this long without events
    replay_max: int = Field(default=3, ge=1)  # a dead letter replayed this often is not replayed again (loop guard)
    # consumer groups to watch besides the processors' own: group id -> the topics it consumes
    groups: dict[str, list[str]] = Field(default_factory=dict)
    lag_record_timeout_s: float = Field(default=3.0, gt=0)  # reading the oldest unprocessed records

    @field_validator("cadence_s")
    @classmethod
    def _cadences_name_departments(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(SOURCES))
        if unknown:
            raise ValueError(f"no department {', '.join(unknown)}; expected {', '.join(SOURCES)}")
        return {**_default_cadences(), **value}


class KafkaSecurity(BaseModel):
    """`HUB_KAFKA_SECURITY__*`: how the hub's Kafka clients authenticate and encrypt (PLAINTEXT on loopback).

    Production brokers listen with TLS (`SSL`) and usually SASL on top (`SASL_SSL`, SCRAM). Every
    librdkafka client the hub builds takes these through `HubSettings.kafka_client_config`, the faust
    processors through `processors.app` (`broker_credentials`).
    """

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_file: Path | None = Field(default=None, description="CA bundle that signed the brokers' certificates")
    ssl_cert_file: Path | None = Field(default=None, description="client certificate (mutual TLS)")
    ssl_key_file: Path | None = Field(default=None, description="client key (mutual TLS)")
    ssl_key_password: SecretStr | None = None

    @model_validator(mode="after")
    def _complete(self) -> KafkaSecurity:
        if self.protocol.startswith("SASL_") and not (self.sasl_mechanism and self.sasl_username
                                                      and self.sasl_password):
            raise ValueError(f"{self.protocol} needs sasl_mechanism, sasl_username and sasl_password")
        if not self.protocol.startswith("SASL_") and (self.sasl_username or self.sasl_password):
            raise ValueError(f"SASL credentials are given but the protocol is {self.protocol}")
        if (self.ssl_cert_file is None) != (self.ssl_key_file is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")
        if "SSL" not in self.protocol and (self.ssl_ca_file or self.ssl_cert_file):
            raise ValueError(f"TLS files are given but the protocol is {self.protocol}")
        return self

    def librdkafka(self) -> dict[str, str]:
        """The security part of a librdkafka (confluent-kafka) client configuration."""
        conf: dict[str, str] = {"security.protocol": self.protocol}
        if self.sasl_mechanism and self.sasl_username and self.sasl_password:
            conf |= {"sasl.mechanism": self.sasl_mechanism, "sasl.username": self.sasl_username,
                     "sasl.password": self.sasl_password.get_secret_value()}
        for key, value in (("ssl.ca.location", self.ssl_ca_file), ("ssl.certificate.location", self.ssl_cert_file),
                           ("ssl.key.location", self.ssl_key_file)):
            if value is not None:
                conf[key] = str(value)
        if self.ssl_key_password is not None:
            conf["ssl.key.password"] = self.ssl_key_password.get_secret_value()
        return conf



#: The topics a city writes (its outputs and its window's); department and dead-letter topics are shared.
CITY_TOPICS = ("master_citizen", "master_address", "master_organization", "lifecycle", "conflicts",
               "audit", "feedback", "credentials")


def city_topic(name: str, city: str) -> str:
    """A city's own topic name: the code before the version suffix (`master.citizen.v1` ->
    `master.citizen.310100.v1`), or after the name when it has none."""
    found = re.search(r"\.v\d+$", name)
    return f"{name[:found.start()]}.{city}{found.group()}" if found else f"{name}.{city}"


def city_prefix(prefix: str, city: str) -> str:
    """A city's own Redis prefix: beside the base one, never under it (`hub:` -> `hub.310100:`), so a scan
    of the base prefix (`hub rebuild`) never meets another city's keys."""
    return f"{prefix.rstrip(':')}.{city}:"


def _city_view(topics: TopicNames, processors: ProcessorSettings, window: WindowSettings, city: str
               ) -> dict[str, Any]:
    """The names of a city that is not the first one served (the rule of `HubSettings.for_city`)."""
    base = processors.redis_prefix
    own = city_prefix(base, city)
    window_prefix = (own + window.redis_prefix[len(base):] if window.redis_prefix.startswith(base)
                     else city_prefix(window.redis_prefix, city))
    return {
        "topics": topics.model_copy(update={n: city_topic(getattr(topics, n), city) for n in CITY_TOPICS}),
        "processors": processors.model_copy(update={"redis_prefix": own}),
        "window": window.model_copy(update={"redis_prefix": window_prefix}),
    }


class HubSettings(BaseSettings):
    """Everything that tells the hub where it runs and which city it serves."""

    model_config = SettingsConfigDict(
        env_prefix="HUB_",
        env_nested_delimiter="__",
        env_file=None,
        toml_file="hub.toml",
        extra="ignore",
    )

    city_code: str = Field(default="330100", description="GB/T 2260 code of the city this process acts for")
    # the cities one hub serves (a province's: HUB_CITIES=330100,330200); empty = just city_code. The order
    # is fixed: a city's position is its partition of the resolve topic, so a city is only ever appended
    cities: Annotated[tuple[str, ...], NoDecode] = ()
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_security: KafkaSecurity = KafkaSecurity()
    registry_url: str = "http://127.0.0.1:18081/apis/ccompat/v7"
    redis_url: str = "redis://127.0.0.1:16379/0"
    request_timeout_s: float = Field(default=10.0, gt=0)
    citizen_id_key: SecretStr = Field(
        default=SecretStr("citizen-hub-development-key"),
        description="HMAC key that turns resident IDs into citizen ids; set a secret one in production",
    )
    topics: TopicNames = TopicNames()
    topic_policy: TopicPolicy = TopicPolicy()
    connectors: ConnectorSettings = ConnectorSettings()
    processors: ProcessorSettings = ProcessorSettings()
    window: WindowSettings = WindowSettings()
    ops: OpsSettings = OpsSettings()
    # the names as configured, before `_act_for_city` gave a city other than the first its own
    _base: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def served_cities(self) -> tuple[str, ...]:
        """The cities this hub serves, in partition order (the first keeps the configured names)."""
        return self.cities or (self.city_code,)

    def city_partition(self, city: str) -> int:
        """The resolve-topic partition of a served city: its position in `cities`."""
        return self.served_cities.index(city)

    def for_city(self, city: str) -> HubSettings:
        """The settings of one served city. The rule: the first city in `cities` keeps the configured
        Redis prefixes and topic names (a single-city hub is unchanged); every other city gets its own,
        `city_prefix` (`hub.310100:`, `hub.310100:window:`) and `city_topic` for the topics in CITY_TOPICS
        (`master.citizen.310100.v1`). Department, dead-letter and resolve topics and the consumer group
        are shared. A process started with HUB_CITY_CODE=<city> gets that city's view directly."""
        if city not in self.served_cities:
            raise SettingsError(f"city {city} is not served by this hub (cities: {', '.join(self.served_cities)})")
        if city == self.city_code:
            return self
        base = self._base or {"topics": self.topics, "processors": self.processors, "window": self.window}
        names = base if city == self.served_cities[0] else _city_view(
            base["topics"], base["processors"], base["window"], city)
        view = self.model_copy(update={"city_code": city, **names})
        view._base = base
        return view

    @model_validator(mode="after")
    def _act_for_city(self) -> HubSettings:
        if self.cities and self.city_code not in self.cities:
            raise ValueError(f"city_code {self.city_code} is not in cities ({', '.join(self.cities)})")
        if self.city_code != self.served_cities[0]:  # this process acts for a city with names of its own
            self._base = {"topics": self.topics, "processors": self.processors, "window": self.window}
            for name, value in _city_view(self.topics, self.processors, self.window, self.city_code).items():
                setattr(self, name, value)
        return self

    def kafka_client_config(self) -> dict[str, str]:
        """Where the brokers are and how to reach them securely: the base of every librdkafka client's config."""
        return {"bootstrap.servers": self.kafka_bootstrap, **self.kafka_security.librdkafka()}

    @field_validator("city_code")
    @classmethod
    def _city_code_is_six_digits(cls, value: str) -> str:
        value = value.strip()
        if len(value) != 6 or not value.isdigit():
            raise ValueError("must be a 6-digit GB/T 2260 code such as 330100")
        return value

    @field_validator("cities", mode="before")
    @classmethod
    def _cities_are_codes(cls, value: Any) -> tuple[str, ...]:
        codes = [c.strip() for c in (value.split(",") if isinstance(value, str) else value or ()) if c.strip()]
        for code in codes:
            cls._city_code_is_six_digits(code)
        if len(set(codes)) != len(codes):
            raise ValueError("a city is listed twice")
        return tuple(codes)

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_is_host_port_list(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port")
        return value

    @field_validator("registry_url")
    @classmethod
    def _registry_is_http_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_is_redis_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("redis", "rediss", "unix") or not (parsed.netloc or parsed.path):
            raise ValueError(f"{value!r} is not a redis:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from pydantic_settings import DotEnvSettingsSource

        infra_env = DotEnvSettingsSource(settings_cls, env_file=state_dir() / "env", env_prefix="HUB_")
        toml = TomlConfigSettingsSource(settings_cls, toml_file=os.environ.get("HUB_TOML", "hub.toml"))
        return (init_settings, env_settings, infra_env, toml)


def load_settings(**overrides: Any) -> HubSettings:
    """Build the settings, turning validation failures into one readable SettingsError."""
    try:
        return HubSettings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid hub settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> HubSettings:
    """The process-wide settings (loaded once)."""
    return load_settings()
