"""`hub resolve` throughput and memory against its targets (20,000 rows/s on one core), with where the time goes.

1. `hub generate` writes a city of `--persons` people (or `--dir` names existing exports).
2. `hub resolve` runs as a separate process, exactly as a user runs it (out, masters, explain
   index), pinned to one core; wall time, CPU time and peak RSS are read from the child. It runs
   twice: with the mypyc-compiled engine (`hub/runtime/compiled.py`) and with `HUB_NATIVE=0`.
3. The same exports are resolved again in-process (pure Python) with each stage timed on its own: reading
   (parse and validate rows), standardisation (mentions), indexing, person/place/organization
   resolution and survivorship, and writing the output lines.

    .venv/bin/python -m bench.resolve [--persons 100000] [--seed 42] [--dir EXPORTS] [--compiled-only]

Figures only (no personal data is printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TARGET_ROWS_PER_S = 20_000
REPO_ROOT = Path(__file__).resolve().parents[1]


def _hub() -> str:
    return str(Path(sys.executable).with_name("hub"))


def run_command(exports: Path, city: str, work: Path, native: bool) -> tuple[int, float, float, float]:
    """`hub resolve` in a child on one core: (rows, wall s, cpu s, peak RSS MB) of that child alone."""
    env = {**os.environ, "HUB_STATE_DIR": str(work / "state"), "HUB_NATIVE": "1" if native else "0",
           "PYTHONPATH": str(REPO_ROOT)}  # this checkout's code, also from a git worktree
    cmd = [_hub(), "resolve", str(exports), "--city", city, "--out", str(work / "out.jsonl"),
           "--masters", str(work / "masters.jsonl")]
    if _has_taskset():
        cmd = ["taskset", "-c", "0", *cmd]
    started = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, cmd)
    rows = sum(1 for _ in (work / "out.jsonl").open("rb"))
    return rows, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _has_taskset() -> bool:
    return subprocess.run(["which", "taskset"], capture_output=True).returncode == 0


class StageClock:
    """Wall time per stage; nested stages are subtracted from the stage around them."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[str] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        self._stack.append(name)
        try:
            yield
        finally:
            self._stack.pop()
            took = time.perf_counter() - started
            self.spent[name] = self.spent.get(name, 0.0) + took
            if self._stack:
                outer = self._stack[-1]
                self.spent[outer] = self.spent.get(outer, 0.0) - took

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return fn(*args, **kwargs)

        return timed


def run_stages(exports: Path, city: str) -> tuple[int, StageClock]:
    """The command's work in-process, each stage on the clock (the wrappers cost ~1% of the time)."""
    import hub.engine.resolver as resolver_module
    from hub.batch.driver import expand_inputs, feed, write_rows
    from hub.engine.mentions import MentionReader
    from hub.engine.places import PlaceIndex
    from hub.engine.resolver import Resolver
    from hub.runtime.gc_pause import paused_gc

    clock = StageClock()
    MentionReader.read = clock.wrap("standardise", MentionReader.read)  # type: ignore[method-assign]
    resolver_module.resolve_all_persons = clock.wrap("persons", resolver_module.resolve_all_persons)
    resolver_module.build_master = clock.wrap("survivorship", resolver_module.build_master)
    resolver_module.resolve_organizations = clock.wrap("organizations", resolver_module.resolve_organizations)
    PlaceIndex.resolve = clock.wrap("places", PlaceIndex.resolve)  # type: ignore[method-assign]
    Resolver.add = clock.wrap("index", Resolver.add)  # type: ignore[method-assign]

    resolver = Resolver(city, b"bench-key")
    with paused_gc():
        with clock.stage("read"):
            outcomes = list(feed(resolver, expand_inputs([exports])))
        with clock.stage("resolve (rest)"):
            resolution = resolver.resolve()
    with clock.stage("write"), open(os.devnull, "wb") as sink:
        write_rows(sink, outcomes, resolution)
    return len(outcomes), clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--city", default="330100")
    parser.add_argument("--dir", type=Path, help="resolve these exports instead of generating a city")
    parser.add_argument("--compiled-only", action="store_true", help="only the command with the compiled engine")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hub-resolve-bench-") as tmp:
        work = Path(tmp)
        exports = args.dir
        if exports is None:
            from citygen import generate

            exports = work / "city"
            generate(args.persons, args.seed, exports, city=args.city)
        from hub.runtime.compiled import active_dir

        walls: dict[str, float] = {}
        runs = [("compiled engine", True)] + ([] if args.compiled_only else [("pure Python", False)])
        for label, native in runs:
            if native and active_dir() is None:
                print("compiled engine: not built for these sources (python -m hub.runtime.compiled build)")
                continue
            rows, wall, cpu, rss = run_command(exports, args.city, work, native)
            walls[label] = wall
            print(f"hub resolve, one core, {label}: {rows:,} rows in {wall:.1f} s wall ({cpu:.1f} s CPU)")
            print(f"  {rows / wall:,.0f} rows/s = {rows / wall / TARGET_ROWS_PER_S:.2f} x the 20,000 rows/s target")
            print(f"  peak RSS {rss:,.0f} MB = {rss * 1024 / rows:.1f} KB per row")
        if len(walls) == 2:
            print(f"compiled / pure Python time: {walls['compiled engine'] / walls['pure Python']:.3f}")
        if args.compiled_only:
            return 0
        os.environ["HUB_NATIVE"] = "0"  # wrappers see calls between modules only when they are interpreted
        stage_rows, clock = run_stages(exports, args.city)
        total = sum(clock.spent.values())
        print(f"\nin-process stages, pure Python ({stage_rows:,} rows, {total:.1f} s):")
        for name, seconds in sorted(clock.spent.items(), key=lambda item: -item[1]):
            print(f"  {name:16}{seconds:7.2f} s {seconds / total:6.1%} {seconds / stage_rows * 1e6:7.1f} us/row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
