"""The three local services as one stack: `up` (idempotent), `down` (only what we started) and `status`.

Order matters: Redis and Kafka start side by side, the registry only once Kafka answers (it keeps its
data there), and `down` stops in reverse. A file lock serialises concurrent `hub infra` runs, e.g.
several pytest sessions asking for the stack at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.contract.errors import InfraError
from hub.infra import process
from hub.infra.apicurio import Registry
from hub.infra.config import InfraConfig
from hub.infra.envfile import write_env
from hub.infra.kafka import Kafka
from hub.infra.redis_server import Redis
from hub.infra.service import Service, ServiceStatus

Progress = Callable[[str], None]


@dataclass(frozen=True)
class UpResult:
    name: str
    address: str
    action: str  # "running" (left alone) or "started"
    seconds: float
    pid: int | None


@dataclass(frozen=True)
class DownResult:
    name: str
    stopped_pid: int | None
    wiped: bool


def services(cfg: InfraConfig) -> tuple[Redis, Kafka, Registry]:
    return Redis(cfg), Kafka(cfg), Registry(cfg)


def _quiet(_: str) -> None:
    pass


def up(cfg: InfraConfig, progress: Progress = _quiet) -> list[UpResult]:
    """Make every service answer (starting only those that do not) and write their addresses to .hub/env."""
    redis, kafka, registry = services(cfg)
    stages: list[list[Service]] = [[redis, kafka], [registry]]
    began: dict[str, float] = {}
    took: dict[str, float] = {}
    with process.exclusive_lock(cfg.paths.lock_file, timeout=cfg.start_timeout_s * 3):
        for stage in stages:
            waiting: list[Service] = []
            for svc in stage:
                began[svc.name] = time.monotonic()
                if svc.begin() == "starting":
                    progress(f"{svc.name}: starting on {svc.address}")
                    waiting.append(svc)
            for svc in waiting:
                svc.wait_ready()
                took[svc.name] = time.monotonic() - began[svc.name]
        ordered: list[Service] = [kafka, registry, redis]
        results = [
            UpResult(
                name=svc.name,
                address=svc.address,
                action="started" if svc.name in took else "running",
                seconds=took.get(svc.name, 0.0),
                pid=svc.pid(),
            )
            for svc in ordered
        ]
        write_env(cfg.paths.env_file, {svc.env_key: svc.address for svc in ordered})
    return results


def down(cfg: InfraConfig, *, wipe: bool = False) -> list[DownResult]:
    """Stop the services `up` started (registry first, it is a Kafka client); with wipe, delete their data."""
    redis, kafka, registry = services(cfg)
    results: list[DownResult] = []
    with process.exclusive_lock(cfg.paths.lock_file, timeout=cfg.start_timeout_s * 3):
        for svc in (registry, kafka, redis):
            pid = svc.stop()
            if wipe:
                svc.wipe()
            results.append(DownResult(svc.name, pid, wipe))
        if wipe:
            cfg.paths.env_file.unlink(missing_ok=True)
    return results


#: What each service needs answering before it starts: the registry keeps its data in Kafka.
NEEDS: dict[str, tuple[str, ...]] = {"redis": (), "kafka": (), "registry": ("kafka",)}


def _one(cfg: InfraConfig, name: str) -> Service:
    found = {svc.name: svc for svc in services(cfg)}
    if name not in found:
        raise InfraError(f"unknown service {name!r}; expected one of {', '.join(sorted(found))}")
    return found[name]


def stop_service(cfg: InfraConfig, name: str) -> DownResult:
    """Stop one service `up` started (SIGTERM, then SIGKILL), keeping its data: an operator's fault drill.

    Its clients are left running on purpose: they must ride out the outage and carry on once it is back
    (docs/deployment.md, "Faults").
    """
    svc = _one(cfg, name)
    with process.exclusive_lock(cfg.paths.lock_file, timeout=cfg.start_timeout_s * 3):
        return DownResult(svc.name, svc.stop(), False)


def start_service(cfg: InfraConfig, name: str) -> UpResult:
    """Start one service (no-op when ours already answers) and wait until it serves requests.

    Refuses when a service it needs does not answer, rather than waiting out a start that cannot succeed.
    """
    svc = _one(cfg, name)
    with process.exclusive_lock(cfg.paths.lock_file, timeout=cfg.start_timeout_s * 3):
        missing = [need for need in NEEDS[name] if not _one(cfg, need).answers(timeout=3.0)]
        if missing:
            raise InfraError(f"{name} needs {', '.join(missing)} running first: `hub infra start {missing[0]}`")
        began = time.monotonic()
        started = svc.begin() == "starting"
        if started:
            svc.wait_ready()
        return UpResult(svc.name, svc.address, "started" if started else "running",
                        time.monotonic() - began if started else 0.0, svc.pid())


def status(cfg: InfraConfig, timeout: float = 2.0) -> list[ServiceStatus]:
    """Each service's address, pid (when ours runs) and whether it answers a real request."""
    redis, kafka, registry = services(cfg)
    return [svc.status(timeout) for svc in (kafka, registry, redis)]
