"""Request and audit-event ids: 32 hex characters, never the same twice, a forked child its own."""

from __future__ import annotations

import os
import re

from hub.window.ids import random_hex


def test_ids_are_128_bit_hex_and_unique_across_pools() -> None:
    ids = [random_hex() for _ in range(2000)]  # about eight pools of 256
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_draws_its_own_ids() -> None:
    random_hex()  # the parent's pool holds unread ids now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next id and leave at once
        os.write(write, random_hex().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{32}", child)
    assert child != random_hex()
