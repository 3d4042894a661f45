"""The allocation tracer's report names the line whose allocations grew, and stays off unless asked."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from processors.memtrace import report, start


def test_report_names_the_growing_line() -> None:
    tracemalloc.start(1)
    try:
        first = tracemalloc.take_snapshot()
        kept = [bytearray(4096) for _ in range(500)]  # about 2 MiB from one line
        now = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    text = report(first, first, now)
    growth = text.split("-- growth since the first snapshot\n")[1].splitlines()[0]
    assert "test_memtrace.py:15" in growth and "(+20" in growth  # the list's line, about +2,000 KiB
    assert len(kept) == 500


def test_off_without_a_folder(tmp_path: Path) -> None:
    assert not start(None, 1.0)
    assert not tracemalloc.is_tracing()
