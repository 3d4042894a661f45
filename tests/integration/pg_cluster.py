"""A throwaway PostgreSQL cluster for the DB connector test, from Debian's server package (scripts/setup.sh).

initdb into a temporary folder, start on 127.0.0.1 and a free port with trust auth for the one role `hub`,
stop with `-m immediate` and delete afterwards. PostgreSQL refuses to run as root, so as root the cluster
belongs to the `postgres` system user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ClusterUnavailableError(RuntimeError):
    """The PostgreSQL server binaries are not installed (or cannot run here)."""


def server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ClusterUnavailableError("PostgreSQL server binaries (initdb) are not installed; run scripts/setup.sh")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], as_user: str | None) -> None:
    if as_user is not None:
        cmd = ["su", as_user, "-s", "/bin/sh", "-c", shlex.join(cmd)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise ClusterUnavailableError(f"{shlex.join(cmd)} failed: {done.stderr.strip()[-500:]}")


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield the DSN of a fresh cluster (database `postgres`, role `hub`); stop and remove it after."""
    bindir = server_bin()
    as_user: str | None = None
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailableError("running as root and there is no `postgres` user to own a cluster") from None
        as_user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    data = root / "data"
    port = _free_port()
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        _run([str(bindir / "initdb"), "-D", str(data), "-U", "hub", "--auth=trust", "-E", "UTF8", "--no-locale"],
             as_user)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off"
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60",
              "start"], as_user)
        try:
            yield f"postgresql://hub@127.0.0.1:{port}/postgres"
        finally:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_user)
    finally:
        shutil.rmtree(root, ignore_errors=True)
