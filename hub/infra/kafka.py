"""A single-node Apache Kafka 4.x (KRaft, combined broker and controller) on loopback, run from Maven jars.

The jars come from hub/infra/maven/kafka-pom.xml (no tarball). Storage is formatted once with Kafka's
own StorageTool: the config uses `controller.quorum.bootstrap.servers` (a dynamic quorum), which must be
formatted with `--standalone`; a static `controller.quorum.voters` would need the opposite.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from hub.contract.errors import InfraError
from hub.infra import jdk, maven, process
from hub.infra.service import Launch, Service

NODE_ID = 1


def new_cluster_id() -> str:
    """A cluster id in Kafka's form: 22-char URL-safe base64 of a random UUID, never starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(*, host: str, port: int, controller_port: int, data_dir: Path) -> str:
    """Broker config: one node that is broker and controller, every listener on loopback, RF 1 everywhere."""
    lines = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        "controller.quorum.bootstrap.servers": f"{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    header = "# Written by `hub infra up` on every start; edit hub/infra/kafka.py instead.\n"
    return header + "".join(f"{key}={value}\n" for key, value in lines.items())


def log4j2_properties(log_file: Path) -> str:
    """log4j2 config in .properties form (the YAML form needs jackson-dataformat-yaml); size-capped file."""
    pattern = "[%d] %p %m (%c)%n"
    return f"""# Written by `hub infra up` on every start.
status = warn
name = hub-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = {pattern}
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
"""


class Kafka(Service):
    """The local broker; clients use `HUB_KAFKA_BOOTSTRAP`."""

    name = "kafka"
    env_key = "HUB_KAFKA_BOOTSTRAP"
    port_setting = "HUB_INFRA__KAFKA_PORT / HUB_INFRA__KAFKA_CONTROLLER_PORT"

    @property
    def folder(self) -> Path:
        return self.cfg.paths.kafka

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def server_log(self) -> Path:
        return self.folder / "logs" / "server.log"

    @property
    def stdout_log(self) -> Path:
        return self.folder / "logs" / "stdout.log"

    @property
    def logs(self) -> list[Path]:
        return [self.server_log, self.stdout_log]

    @property
    def address(self) -> str:
        return self.cfg.kafka_bootstrap

    def listen_ports(self) -> list[int]:
        return [self.cfg.kafka_port, self.cfg.controller_port]

    def answers(self, timeout: float) -> bool:
        """A metadata request that lists at least one broker."""
        if not process.port_open(self.cfg.host, self.cfg.kafka_port, timeout=min(timeout, 1.0)):
            return False
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.address, "log_level": 2})
        try:
            return bool(admin.list_topics(timeout=timeout).brokers)
        except KafkaException:
            return False

    def java(self) -> jdk.Jdk:
        if self.cfg.kafka_java_home is not None:
            found = jdk.describe(self.cfg.kafka_java_home)
        else:
            found = jdk.default_or_newest(self.cfg.jvm_dir, self.cfg.kafka_min_java)
        if found is None or found.major < self.cfg.kafka_min_java:
            raise InfraError(
                f"Kafka {self.cfg.kafka_version} needs Java {self.cfg.kafka_min_java}+ and none was found "
                f"(JAVA_HOME, PATH, {self.cfg.jvm_dir}); run `bash scripts/setup.sh`"
            )
        return found

    def prepare(self) -> Launch:
        java = self.java()
        dist = maven.fetch_kafka(
            self.cfg.kafka_version,
            self.cfg.log4j_version,
            self.cfg.paths.cache,
            timeout=self.cfg.download_timeout_s,
        )
        classpath = str(dist / "libs" / "*")
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "server.properties"
        log4j = self.folder / "log4j2.properties"
        config.write_text(
            server_properties(
                host=self.cfg.host,
                port=self.cfg.kafka_port,
                controller_port=self.cfg.controller_port,
                data_dir=self.data_dir,
            )
        )
        log4j.write_text(log4j2_properties(self.server_log))
        logging = f"-Dlog4j2.configurationFile=file:{log4j}"
        self._format_once(java, classpath, config)
        argv = [
            str(java.java),
            f"-Xmx{self.cfg.kafka_heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dhub.service={self.name}",
            logging,
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ]
        return Launch(argv=argv, cwd=self.folder)

    def _format_once(self, java: jdk.Jdk, classpath: str, config: Path) -> None:
        """Format the data folder on first start; refuse to reuse one formatted for another controller."""
        marker = self.folder / "formatted-for"
        controller = f"{self.cfg.host}:{self.cfg.controller_port}"
        if (self.data_dir / "meta.properties").is_file():
            recorded = marker.read_text().strip() if marker.is_file() else controller
            if recorded != controller:
                raise InfraError(
                    f"Kafka data in {self.data_dir} was formatted for controller {recorded}, "
                    f"not {controller}: "
                    "run `hub infra down --wipe` to start clean"
                )
            return
        # No log4j config here: the tool's log lines would otherwise land in the broker's server.log.
        argv = [str(java.java), "-cp", classpath, "kafka.tools.StorageTool", "format", "--standalone"]
        argv += ["--cluster-id", new_cluster_id(), "--config", str(config)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise InfraError("Kafka StorageTool format did not finish within 120 s") from None
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines()[-4:]
            raise InfraError(f"Kafka StorageTool format failed: {' | '.join(lines)}")
        marker.write_text(controller + "\n")
