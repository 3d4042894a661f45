"""A throwaway MariaDB server for the DB connector's MySQL path, when Debian's mariadb-server is installed.

Not installed by scripts/setup.sh (the issue asks for PostgreSQL); the test using it is skipped without it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class MariaDbUnavailableError(RuntimeError):
    """mariadbd / mariadb-install-db are not installed or the server did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_mariadb() -> Iterator[str]:
    """Yield a DSN `mysql://root@127.0.0.1:<port>/` of a fresh server without grant tables; stop it after."""
    server, installer = shutil.which("mariadbd", path="/usr/sbin:/usr/bin"), shutil.which("mariadb-install-db")
    if server is None or installer is None:
        raise MariaDbUnavailableError("mariadb-server is not installed (apt-get install mariadb-server)")
    root = Path(tempfile.mkdtemp(prefix="hub-maria-"))
    user = "mysql" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    port = _free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        try:
            if os.geteuid() == 0:
                entry = pwd.getpwnam(user)
                os.chown(root, entry.pw_uid, entry.pw_gid)
            subprocess.run([installer, f"--user={user}", f"--datadir={root / 'data'}"], capture_output=True,
                           timeout=120, check=True)
            process = subprocess.Popen(
                [server, f"--user={user}", f"--datadir={root / 'data'}", f"--port={port}",
                 "--bind-address=127.0.0.1", f"--socket={root / 'sock'}", "--skip-grant-tables",
                 f"--pid-file={root / 'pid'}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        except (subprocess.SubprocessError, OSError, KeyError) as exc:
            raise MariaDbUnavailableError(f"cannot set up MariaDB: {exc}") from None
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise MariaDbUnavailableError("mariadbd did not start") from None
                time.sleep(0.2)
        yield f"mysql://root@127.0.0.1:{port}/"
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)
