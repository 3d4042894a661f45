"""What every local service shares: its folder and pid file, start-and-wait, stop, wipe and status.

Subclasses only say how to prepare (download, render config) and launch the service, which ports it
takes and how to ask it whether it answers; the life cycle rules live here once.
"""

from __future__ import annotations

import shutil
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from hub.contract.errors import InfraError
from hub.infra import process
from hub.infra.config import InfraConfig


@dataclass(frozen=True)
class Launch:
    """How to run a prepared service: the command and its working folder."""

    argv: list[str]
    cwd: Path


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    up: bool
    pid: int | None
    log: Path


class Service(ABC):
    """One local service started by `hub infra up` and stopped by `hub infra down`."""

    name: ClassVar[str]
    #: Variable that `hub infra up` writes to .hub/env with this service's address.
    env_key: ClassVar[str]
    #: Setting that moves this service's main port (named in error messages).
    port_setting: ClassVar[str]

    def __init__(self, cfg: InfraConfig) -> None:
        self.cfg = cfg
        self._log_offsets: dict[Path, int] = {}

    @property
    @abstractmethod
    def folder(self) -> Path:
        """Data, config, logs and the pid file of this service (deleted by `down --wipe`)."""

    @property
    @abstractmethod
    def address(self) -> str:
        """What clients connect to (the value written to .hub/env)."""

    @abstractmethod
    def listen_ports(self) -> list[int]:
        """Every port the service binds, so a clash is reported before starting."""

    @abstractmethod
    def answers(self, timeout: float) -> bool:
        """True when the service serves a real request (not merely an open port)."""

    @abstractmethod
    def prepare(self) -> Launch:
        """Download what is missing, write config files, initialise storage; return the command."""

    @property
    def pidfile(self) -> Path:
        return self.folder / f"{self.name}.pid"

    @property
    def stdout_log(self) -> Path:
        """Where the process's own output goes."""
        return self.folder / f"{self.name}.log"

    @property
    def logs(self) -> list[Path]:
        """Logs worth quoting when the service fails, most telling first."""
        return [self.stdout_log]

    def pid(self) -> int | None:
        return process.live_pid(self.pidfile)

    def status(self, timeout: float = 2.0) -> ServiceStatus:
        return ServiceStatus(self.name, self.address, self.answers(timeout), self.pid(), self.logs[0])

    def begin(self) -> str:
        """Start the service unless ours already runs; 'running' when it already answers, else 'starting'."""
        if self.pid() is not None:
            return "running" if self.answers(timeout=3.0) else "starting"
        busy = [port for port in self.listen_ports() if process.port_open(self.cfg.host, port)]
        if busy:
            raise InfraError(
                f"{self.name}: port {', '.join(map(str, busy))} on {self.cfg.host} is taken by a process "
                f"that `hub infra up` did not start (no live pid in {self.pidfile}); "
                f"stop it or set {self.port_setting}"
            )
        launch = self.prepare()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log_offsets = {log: process.size(log) for log in self.logs}  # quote only this run's lines
        pid = process.spawn(launch.argv, log=self.stdout_log, cwd=launch.cwd)
        try:
            process.write_pidfile(self.pidfile, pid)
        except InfraError:
            time.sleep(0.2)
            raise self._failure("exited at once") from None
        return "starting"

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the service answers; stop it and raise with its log tail if it dies or times out."""
        limit = self.cfg.start_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            if self.pid() is None:
                self.pidfile.unlink(missing_ok=True)
                raise self._failure("exited while starting")
            if self.answers(timeout=2.0):
                return
            if time.monotonic() >= deadline:
                process.stop(self.pidfile, timeout=self.cfg.stop_timeout_s)
                raise self._failure(f"did not answer within {limit:.0f} s and was stopped")
            time.sleep(0.3)

    def stop(self) -> int | None:
        """Stop our process (SIGTERM, then SIGKILL); the pid stopped, or None when none of ours ran."""
        return process.stop(self.pidfile, timeout=self.cfg.stop_timeout_s)

    def wipe(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _failure(self, what: str) -> InfraError:
        quoted = []
        for log in self.logs:
            lines = process.tail(log, 6, since=self._log_offsets.get(log, 0))
            if lines:
                quoted.append(f"{log} ends: " + " | ".join(line.strip() for line in lines))
        detail = "; ".join(quoted) if quoted else f"no output in {self.logs[0]}"
        return InfraError(f"{self.name} on {self.address} {what}; {detail}")
