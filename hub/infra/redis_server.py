"""Redis from Debian's redis-server, with its own config file, append-only persistence and data in .hub/redis.

It runs in the foreground of a detached session (daemonize no), so our pid file names the server
itself and its log goes to the file `hub infra` chose.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from hub.contract.errors import InfraError
from hub.infra.service import Launch, Service

#: Redis's `hash-max-listpack-value` wherever the project configures redis-server (here, docker/compose.yaml,
#: bench/window.py): a stored record (up to about 300 B) fits, so the read model's record buckets stay
#: listpacks (`hub.readmodel.store.record_bucket`). The default (64) is still correct, only larger.
HASH_MAX_LISTPACK_VALUE = 512


def _quoted(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def redis_conf(*, host: str, port: int, data_dir: Path) -> str:
    """redis.conf: loopback only, AOF on (fsync every second) plus the default RDB snapshots."""
    return f"""# Written by `hub infra up` on every start; edit hub/infra/redis_server.py instead.
bind {host}
port {port}
protected-mode yes
daemonize no
supervised no
logfile ""
loglevel notice
dir {_quoted(data_dir)}
dbfilename dump.rdb
appendonly yes
appendfilename "appendonly.aof"
appendfsync everysec
save 3600 1 300 100 60 10000
# the read model's bucketed hashes stay listpacks with stored records up to this size (hub.readmodel.store)
hash-max-listpack-value {HASH_MAX_LISTPACK_VALUE}
"""


class Redis(Service):
    """The local Redis for the read model; clients use `HUB_REDIS_URL`."""

    name = "redis"
    env_key = "HUB_REDIS_URL"
    port_setting = "HUB_INFRA__REDIS_PORT"

    @property
    def folder(self) -> Path:
        return self.cfg.paths.redis

    @property
    def address(self) -> str:
        return self.cfg.redis_url

    def listen_ports(self) -> list[int]:
        return [self.cfg.redis_port]

    def answers(self, timeout: float) -> bool:
        """PING returns PONG."""
        client = redis.Redis(
            host=self.cfg.host,
            port=self.cfg.redis_port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def prepare(self) -> Launch:
        server = shutil.which("redis-server") or next(
            (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(p).is_file()), None
        )
        if server is None:
            raise InfraError("redis-server is not installed; run `bash scripts/setup.sh` (Debian package redis-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "redis.conf"
        conf.write_text(redis_conf(host=self.cfg.host, port=self.cfg.redis_port, data_dir=self.folder))
        return Launch(argv=[server, str(conf)], cwd=self.folder)
