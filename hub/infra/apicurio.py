"""Apicurio Registry 3.x, the Confluent-compatible schema registry, with its data kept in our Kafka.

Storage is KafkaSQL: every change is a record in the `_registry-journal` topic (retention unlimited,
created by the registry), replayed into an in-memory database on start. So schemas and their ids
survive a restart of the registry, and of Kafka, with no extra database. The app distribution is the
`io.apicurio:apicurio-registry-app:<v>:tar.gz:all` Quarkus fast-jar from Maven Central.
Quarkus reads `config/application.properties` from its working folder, which is where we render it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx

from hub.contract.errors import InfraError
from hub.infra import jdk, maven
from hub.infra.config import InfraConfig
from hub.infra.service import Launch, Service

JOURNAL_TOPIC = "_registry-journal"
SNAPSHOTS_TOPIC = "_registry-snapshots"
EVENTS_TOPIC = "_registry-events"
STORAGE_CHECK = "PersistenceSimpleReadinessCheck"


def choose_version(cfg: InfraConfig, jdks: Sequence[jdk.Jdk]) -> tuple[str, jdk.Jdk]:
    """The registry version and the JDK to run it: the newest JDK if it is 21+, else the Java 17 fallback."""
    if cfg.registry_java_home is not None:
        chosen = jdk.describe(cfg.registry_java_home)
        if chosen is None:
            raise InfraError(f"HUB_INFRA__REGISTRY_JAVA_HOME={cfg.registry_java_home} holds no runnable java")
        usable = [chosen]
    else:
        usable = sorted(jdks, reverse=True)
    if not usable:
        raise InfraError(f"no Java runtime found (JAVA_HOME, PATH, {cfg.jvm_dir}); run `bash scripts/setup.sh`")
    best = usable[0]
    if best.major >= cfg.registry_min_java:
        return cfg.registry_version, best
    if best.major >= 17:
        return cfg.registry_fallback_version, best
    raise InfraError(f"Apicurio Registry needs Java 17+ (21+ for {cfg.registry_version}); newest found: {best}")


def storage_ready(health: object) -> bool:
    """Whether a /health/ready body says the storage finished replaying the journal.

    The HTTP API opens before KafkaSQL has replayed its journal, and answers from a partial
    store meanwhile; the storage readiness check turns UP only once the replay is done. Other
    checks (response-time windows) may flap under load, so they do not count.
    """
    if not isinstance(health, dict):
        return False
    for check in health.get("checks") or []:
        if isinstance(check, dict) and check.get("name") == STORAGE_CHECK:
            return check.get("status") == "UP"
    return health.get("status") == "UP"


def application_properties(cfg: InfraConfig, work_dir: Path) -> str:
    """Registry config: loopback only, KafkaSQL on our broker, deletes enabled so tests can clean up."""
    props = {
        "quarkus.http.host": cfg.host,
        "quarkus.http.port": str(cfg.registry_port),
        "quarkus.management.host": cfg.host,
        "quarkus.management.port": str(cfg.management_port),
        "quarkus.http.access-log.enabled": "false",
        'quarkus.log.category."org.apache.kafka".level': "WARN",
        "apicurio.storage.kind": "kafkasql",
        "apicurio.kafkasql.bootstrap.servers": cfg.kafka_bootstrap,
        "apicurio.kafkasql.topic": JOURNAL_TOPIC,
        "apicurio.kafkasql.snapshots.topic": SNAPSHOTS_TOPIC,
        "apicurio.events.kafka.topic": EVENTS_TOPIC,
        # The journal consumer's poll timeout also paces start-up replay (the default 5 s adds ~10 s).
        "apicurio.kafkasql.consumer.poll.timeout": "500",
        "apicurio.rest.deletion.group.enabled": "true",
        "apicurio.rest.deletion.artifact.enabled": "true",
        "apicurio.rest.deletion.artifact-version.enabled": "true",
        "apicurio.storage.snapshot.location": str(work_dir),
        "apicurio.import.work-dir": str(work_dir),
    }
    header = "# Written by `hub infra up` on every start; edit hub/infra/apicurio.py instead.\n"
    return header + "".join(f"{key}={value}\n" for key, value in props.items())


class Registry(Service):
    """The local schema registry; clients use `HUB_REGISTRY_URL` (the /apis/ccompat/v7 base)."""

    name = "registry"
    env_key = "HUB_REGISTRY_URL"
    port_setting = "HUB_INFRA__REGISTRY_PORT / HUB_INFRA__REGISTRY_MANAGEMENT_PORT"

    @property
    def folder(self) -> Path:
        return self.cfg.paths.registry

    @property
    def address(self) -> str:
        return self.cfg.registry_url

    def listen_ports(self) -> list[int]:
        return [self.cfg.registry_port, self.cfg.management_port]

    @property
    def health_url(self) -> str:
        return f"http://{self.cfg.host}:{self.cfg.management_port}/health/ready"

    def answers(self, timeout: float) -> bool:
        """GET /subjects on the Confluent-compatible API returns 200 and the storage is replayed."""
        try:
            if httpx.get(f"{self.address}/subjects", timeout=timeout).status_code != 200:
                return False
            return storage_ready(httpx.get(self.health_url, timeout=timeout).json())
        except (httpx.HTTPError, ValueError):
            return False

    def prepare(self) -> Launch:
        version, java = choose_version(self.cfg, jdk.candidates(self.cfg.jvm_dir))
        try:
            dist = maven.fetch_registry(version, self.cfg.paths.cache, timeout=self.cfg.download_timeout_s)
        except InfraError as exc:
            if version != self.cfg.registry_fallback_version:
                raise
            raise InfraError(
                f"no Java {self.cfg.registry_min_java}+ runtime for Apicurio {self.cfg.registry_version} "
                f"(newest: Java {java.major} at {java.home}), and the Java 17 fallback failed: {exc}; "
                f"install a JDK {self.cfg.registry_min_java}+ under {self.cfg.jvm_dir} "
                "or set HUB_INFRA__REGISTRY_JAVA_HOME"
            ) from None
        work = self.folder / "tmp"
        (self.folder / "config").mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        (self.folder / "config" / "application.properties").write_text(application_properties(self.cfg, work))
        (self.folder / "version").write_text(f"{version} java={java.major} {java.home}\n")
        argv = [
            str(java.java),
            f"-Xmx{self.cfg.registry_heap}",
            # C1 only: starts in ~7 s instead of ~11 s on 2 cores; a local registry never needs C2's peak speed.
            "-XX:TieredStopAtLevel=1",
            f"-Djava.io.tmpdir={work}",
            f"-Dhub.service={self.name}",
            "-jar",
            str(dist / "quarkus-run.jar"),
        ]
        return Launch(argv=argv, cwd=self.folder)
