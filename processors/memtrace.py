"""Diagnostics: where a running worker's Python memory grows (tracemalloc), off unless a setting asks.

With `HUB_PROCESSORS__MEMTRACE_DIR` set, `hub process` traces allocations from its start and every
`memtrace_every_s` writes `memtrace-<n>.txt` to that folder: the traced total, then the source lines whose
live allocations grew most since the first snapshot and since the previous one. Tracing slows the worker
and holds memory of its own, so RSS figures of a traced run are not the worker's (bench/soak.py).
"""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc
from pathlib import Path

logger = logging.getLogger(__name__)

#: Source lines listed per comparison.
TOP = 25


def report(first: tracemalloc.Snapshot, previous: tracemalloc.Snapshot, now: tracemalloc.Snapshot) -> str:
    """The traced total and the largest growths by line since `first` and since `previous`."""
    total = sum(stat.size for stat in now.statistics("filename"))
    lines = [f"traced {total / 2**20:.1f} MiB at {time.strftime('%H:%M:%S')}"]
    for label, base in (("since the first snapshot", first), ("since the previous snapshot", previous)):
        lines.append(f"-- growth {label}")
        diffs = sorted(now.compare_to(base, "lineno"), key=lambda d: d.size_diff, reverse=True)
        lines += [str(diff) for diff in diffs[:TOP]]
    return "\n".join(lines) + "\n"


def _loop(folder: Path, every_s: float) -> None:
    first = previous = tracemalloc.take_snapshot()
    n = 0
    while True:
        time.sleep(every_s)
        now = tracemalloc.take_snapshot()
        n += 1
        (folder / f"memtrace-{n:03d}.txt").write_text(report(first, previous, now), encoding="utf-8")
        previous = now


def start(folder: Path | None, every_s: float) -> bool:
    """Start tracing and the writer thread when `folder` is set; whether it started."""
    if folder is None:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(1)
    threading.Thread(target=_loop, args=(folder, every_s), name="memtrace", daemon=True).start()
    logger.warning("memtrace: tracing allocations, reports every %gs in %s", every_s, folder)
    return True
