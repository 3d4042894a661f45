"""`generate`: split the population into chunks, run them (in parallel if asked), merge the parts,
and write the run summary and the truth README.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from citygen.chunk import ChunkJob, run_chunk
from citygen.clock import Periods
from citygen.config import GeneratorConfig
from citygen.merge import TRUTH_FILES, count_rows, merge_parts
from citygen.readme import truth_readme
from citygen.writers import FORMATS
from hub.contract.sources import SOURCES

#: persons per chunk: large enough that the per-chunk city build is negligible
CHUNK_PERSONS = 20_000


def chunking(persons: int, chunk_persons: int = CHUNK_PERSONS) -> tuple[int, int]:
    """(persons per chunk, number of chunks): fixed by the population alone, never by the worker count."""
    size = max(chunk_persons, math.ceil(persons / 250))
    return size, math.ceil(persons / size)


def _cpus() -> int:
    """CPUs this process may use (the affinity mask, not the host's count, under containers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _remove_previous(out: Path) -> None:
    """Delete an earlier run's exports (only files this generator writes), so no stale delta lingers."""
    for fmt in FORMATS.values():
        for path in out.glob(f"{fmt.prefix}*.{fmt.ext}"):
            path.unlink()
    for name in (*TRUTH_FILES, "summary.json", "README.md"):
        (out / "truth" / name).unlink(missing_ok=True)
    shutil.rmtree(out / ".parts", ignore_errors=True)


def generate(persons: int, seed: int, out: Path, city: str = "330100", deltas: int = 3,
             config: GeneratorConfig | None = None, workers: int | None = None,
             chunk_persons: int = CHUNK_PERSONS) -> dict[str, Any]:
    """Write the exports and their truth for `persons` people; returns the run summary (plus timing).

    The output depends on (persons, seed, city, deltas, config, chunk_persons) only; `workers` just
    sets how many chunks run at once."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if not 0 <= deltas <= 36:
        raise ValueError("deltas must be between 0 and 36")
    config = config or GeneratorConfig()
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    size, chunks = chunking(persons, chunk_persons)
    jobs = [ChunkJob(persons, seed, str(out), city, deltas, config, c, chunks, size) for c in range(chunks)]
    workers = max(1, min(workers or _cpus(), chunks))
    if workers == 1:
        results = [run_chunk(job) for job in jobs]
    else:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with context.Pool(workers) as pool:
            results = pool.map(run_chunk, jobs, chunksize=1)
    results.sort(key=lambda r: r["chunk"])
    parts = [job.directory for job in jobs]
    for part, result in zip(parts, results, strict=True):
        count_rows(part, result["rows"])
    labels = Periods.make(config.timeline.cut, deltas).labels
    namesakes = merge_parts(out, labels, parts)
    summary = _summary(results, namesakes, city, labels, out)
    (out / "truth" / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    (out / "truth" / "README.md").write_text(truth_readme(summary, config), encoding="utf-8")
    # the run time is reported, never written: the files must be byte-identical for a seed
    return {**summary, "seconds": round(time.perf_counter() - started, 1), "workers": workers}


def _summary(results: list[dict[str, Any]], namesakes: dict[str, int], city: str, labels: tuple[str, ...],
             out: Path) -> dict[str, Any]:
    merged: dict[str, Counter[str]] = {k: Counter() for k in ("rows", "bad", "noise", "persons_in", "totals",
                                                                 "pairs")}
    for result in results:
        for key in merged:
            merged[key].update(result[key])
    merged["pairs"].update(namesakes)
    totals = merged["totals"]
    rows_total = sum(merged["rows"].values())
    bad_total = sum(merged["bad"].values())
    persons = totals["persons"]
    return {
        "persons": persons,
        "households": totals["households"],
        "persons_appearing": totals["appearing"],
        "city": city,
        "deltas": list(labels),
        "rows": dict(sorted(merged["rows"].items())),
        "rows_total": rows_total,
        "bad_rows": dict(sorted(merged["bad"].items())),
        "bad_share": round(bad_total / rows_total, 5) if rows_total else 0.0,
        "coverage": {s: round(merged["persons_in"][s] / persons, 4) if persons else 0.0 for s in SOURCES},
        "noise_rows": dict(sorted(merged["noise"].items())),
        "hard_pairs": dict(sorted(merged["pairs"].items())),
        "addresses": _count_lines(out / "truth" / "addresses.jsonl"),
        "organizations": _count_lines(out / "truth" / "organizations.jsonl"),
    }


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)
