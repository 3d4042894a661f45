"""Background processes by pid file: start detached, tell whether one still runs, stop it, wait for ports.

A pid file holds `<pid> <start time>`; the start time (field 22 of /proc/<pid>/stat) guards against a
recycled pid, so `hub infra down` never signals a process that `hub infra up` did not start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.contract.errors import InfraError

# Runs the service in the background with its output appended to a log, then prints its pid and exits, so
# the service is re-parented to init at once: no zombie in a long-lived caller such as a pytest session.
_TRAMPOLINE = 'log=$1; shift; trap "" HUP; "$@" >>"$log" 2>&1 </dev/null & echo $!'


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start_ticks: int


def start_ticks(pid: int) -> int | None:
    """Kernel start time of a process, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and brackets
    if not fields or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def read_pidfile(path: Path) -> PidRecord | None:
    try:
        parts = path.read_text().split()
    except FileNotFoundError:
        return None
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return PidRecord(pid=int(parts[0]), start_ticks=int(parts[1]))


def write_pidfile(path: Path, pid: int) -> PidRecord:
    ticks = start_ticks(pid)
    if ticks is None:
        raise InfraError(f"process {pid} exited right after it was started")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{pid} {ticks}\n")
    tmp.replace(path)
    return PidRecord(pid=pid, start_ticks=ticks)


def is_alive(record: PidRecord | None) -> bool:
    """True while the process the record names still runs (a recycled pid does not count)."""
    return record is not None and start_ticks(record.pid) == record.start_ticks


def live_pid(pidfile: Path) -> int | None:
    """Pid from the file if that very process still runs, else None."""
    record = read_pidfile(pidfile)
    return record.pid if record is not None and is_alive(record) else None


def spawn(argv: Sequence[str], *, log: Path, cwd: Path, env: Mapping[str, str] | None = None) -> int:
    """Start argv detached (own session, stdin closed, output appended to log) and return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", _TRAMPOLINE, "sh", str(log), *argv],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            timeout=30,
            start_new_session=True,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InfraError(f"cannot start {argv[0]}: {exc}") from exc
    out = done.stdout.strip()
    if done.returncode != 0 or not out.isdigit():
        raise InfraError(f"cannot start {argv[0]}: {done.stderr.strip() or out or 'no pid'}")
    return int(out)


def stop(pidfile: Path, *, timeout: float) -> int | None:
    """SIGTERM the process in pidfile, wait up to timeout, then SIGKILL; return the pid it stopped."""
    record = read_pidfile(pidfile)
    if record is None or not is_alive(record):
        pidfile.unlink(missing_ok=True)
        return None
    _signal(record.pid, signal.SIGTERM)
    if not wait_for(lambda: not is_alive(record), timeout=timeout):
        _signal(record.pid, signal.SIGKILL)
        if not wait_for(lambda: not is_alive(record), timeout=10):
            raise InfraError(f"process {record.pid} ({pidfile.stem}) survived SIGKILL")
    pidfile.unlink(missing_ok=True)
    return record.pid


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def wait_for(condition: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    """Poll condition until it holds or timeout seconds pass; True when it held."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def tail(path: Path, lines: int = 8, *, since: int = 0) -> list[str]:
    """Last non-empty lines of a log file written after byte offset since (reads only its end)."""
    try:
        with path.open("rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            start = since if since <= end else 0  # a smaller file was rotated: all of it is new
            handle.seek(max(start, end - 16384))
            text = handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    return [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]


@contextlib.contextmanager
def exclusive_lock(path: Path, *, timeout: float) -> Iterator[None]:
    """Serialise `hub infra` runs (several test sessions may call `up` at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InfraError(f"another `hub infra` command holds {path} for over {timeout:.0f} s") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
