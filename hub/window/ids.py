"""Random ids of requests and audit events: 128 bits from the OS's source, as 32 hex characters.

Why not `uuid.uuid4()`: it reads the OS's random source once per id, and an ID lookup needs two (its
request id, its audit event's id): 2.2 % of `hub serve`'s samples under bench/window.py, a syscall
each. Here the bytes are read 4 KiB at a time (256 ids); a forked child starts with a new pool.
"""

from __future__ import annotations

import os
import threading
from typing import Final

__all__ = ["random_hex"]

_ID_BYTES: Final = 16
_POOL_BYTES: Final = 4096


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.data = b""
        self.position = 0

    def take(self) -> bytes:
        with self.lock:
            if self.position + _ID_BYTES > len(self.data):
                self.data, self.position = os.urandom(_POOL_BYTES), 0
            start = self.position
            self.position = start + _ID_BYTES
            return self.data[start:start + _ID_BYTES]


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.reset)


def random_hex() -> str:
    """A new random 128-bit id as 32 lower-case hex characters (never handed out twice by a pool)."""
    return _pool.take().hex()
