"""Resolution quality on a generated city, side by side with Splink; then Febrl3/Febrl4 (bench/febrl.py).

1. `hub generate` (Python API) writes a city of `--persons` people with its ground truth.
2. `hub resolve` runs in-process on every export (timed: read, resolve, write rows and masters).
3. `hub score`'s scorer (citygen/scoring.py) scores it: citizens, addresses, organizations pairwise
   and B-cubed, forbidden (twin/namesake/shared-phone) merges, master-field accuracy.
4. Splink (DuckDB) deduplicates the same exports, flattened into person mentions and configured
   as its tutorials recommend (bench/splink_baseline.py); its citizen clusters are written in the
   `hub resolve` row shape and scored by the same scorer.

    .venv/bin/pip install -e '.[dev,bench]'
    .venv/bin/python -m bench.quality [--persons 100000] [--seed 42] [--keep DIR] [--no-febrl]

Figures only (no personal data is printed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.splink_baseline import RowKey, city_mentions, require_bench, run_city
from citygen import generate
from citygen.scoring import ClusterScores, Report, score
from hub.batch.driver import expand_inputs, output_line, run_resolve
from hub.engine.mentions import record_ref

__all__ = ["main"]


def _write_jsonl(path: Path, rows: Any) -> None:
    with open(path, "wb") as handle:
        for row in rows:
            handle.write(orjson.dumps(row) + b"\n")


def run_hub(city_dir: Path, work: Path, city: str) -> tuple[float, int, Path, Path]:
    """`hub resolve` in-process, as the command does it; returns (seconds, rows, out, masters)."""
    out, masters = work / "hub_out.jsonl", work / "hub_masters.jsonl"
    started = time.perf_counter()
    _, outcomes, resolution = run_resolve([city_dir], city)
    _write_jsonl(out, (output_line(o, resolution) for o in outcomes))
    _write_jsonl(masters, (resolution.masters[c].contract_row() for c in sorted(resolution.masters)))
    return time.perf_counter() - started, len(outcomes), out, masters


def write_splink_rows(order: list[RowKey], clusters: dict[str, str], path: Path) -> None:
    """Splink's clusters in the `hub resolve` row shape (citizens only), so the same scorer reads them."""

    def line(key: RowKey) -> dict[str, Any]:
        source, record_id, readable = key
        if not readable or record_id is None:
            return {"source": source, "record_id": record_id, "citizen_id": None, "address_id": None,
                    "organization_id": None, "error": "unreadable row"}
        cluster = clusters.get(record_ref(source, record_id))
        return {"source": source, "record_id": record_id, "citizen_id": f"S-{cluster}" if cluster else None,
                "address_id": None, "organization_id": None}

    _write_jsonl(path, (line(k) for k in order))


def _scores_row(name: str, s: ClusterScores, forbidden: int, seconds: float) -> str:
    return (f"{name:10}{s.pair_precision:>9.4f}{s.pair_recall:>9.4f}{s.pair_f1:>9.4f}{s.bcubed_f1:>9.4f}"
            f"{forbidden:>11}{seconds:>10.1f}")


def comparison_table(ours: Report, our_seconds: float, theirs: Report, their_seconds: float) -> str:
    """One table of citizen scores for both systems, and the ratios (ours / Splink)."""
    head = f"{'system':10}{'pair P':>9}{'pair R':>9}{'pair F1':>9}{'B3 F1':>9}{'forbidden':>11}{'wall s':>10}"
    ours_forbidden, their_forbidden = sum(ours.forbidden.values()), sum(theirs.forbidden.values())
    a, b = ours.citizens, theirs.citizens

    def ratio(x: float, y: float) -> str:
        return f"{x / y:.3f}" if y else "n/a"

    return "\n".join([
        head,
        _scores_row("hub", a, ours_forbidden, our_seconds),
        _scores_row("splink", b, their_forbidden, their_seconds),
        f"{'hub/splink':10}{ratio(a.pair_precision, b.pair_precision):>9}{ratio(a.pair_recall, b.pair_recall):>9}"
        f"{ratio(a.pair_f1, b.pair_f1):>9}{ratio(a.bcubed_f1, b.bcubed_f1):>9}"
        f"{ratio(ours_forbidden, their_forbidden):>11}{ratio(our_seconds, their_seconds):>10}",
        "forbidden merges by kind (hub / splink of total): " + ", ".join(
            f"{kind} {ours.forbidden[kind]}/{theirs.forbidden[kind]} of {ours.hard_pairs[kind]}"
            for kind in sorted(ours.hard_pairs)),
    ])


def run_city_bench(persons: int, seed: int, work: Path, city: str) -> None:
    """Generate, resolve with the hub and with Splink, score both, print the figures."""
    city_dir = work / "city"
    started = time.perf_counter()
    summary = generate(persons, seed, city_dir, city=city)
    print(f"generated {persons} persons, {summary['rows_total']} rows in {time.perf_counter() - started:.1f}s",
          flush=True)
    our_seconds, rows, out, masters = run_hub(city_dir, work, city)
    print(f"hub resolve: {rows} rows in {our_seconds:.1f}s ({rows / our_seconds:,.0f} rows/s)", flush=True)
    ours = score(city_dir / "truth", out, masters)
    print("\n== hub resolve, scored by citygen/scoring.py ==")
    print(ours.table(), flush=True)

    started = time.perf_counter()
    mentions, order = city_mentions(expand_inputs([city_dir]))
    flatten = time.perf_counter() - started
    splink = run_city(mentions, seed=seed)
    their_seconds = flatten + splink.seconds
    print(f"\nsplink: {len(mentions)} person mentions (flattened in {flatten:.1f}s), {splink.pairs_scored} pairs "
          f"scored above 0.5, clustered at 0.95 in {splink.seconds:.1f}s", flush=True)
    splink_out = work / "splink_out.jsonl"
    write_splink_rows(order, splink.clusters, splink_out)
    theirs = score(city_dir / "truth", splink_out)
    print("\n== citizens: hub vs Splink (same data, same scorer) ==")
    print(comparison_table(ours, our_seconds, theirs, their_seconds), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--city", default="330100")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    parser.add_argument("--no-city", action="store_true", help="skip the generated city")
    parser.add_argument("--no-febrl", action="store_true", help="skip Febrl3/Febrl4")
    args = parser.parse_args(argv)
    require_bench()
    if not args.no_city:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            run_city_bench(args.persons, args.seed, args.keep, args.city)
        else:
            with tempfile.TemporaryDirectory(prefix="hub-quality-") as tmp:
                run_city_bench(args.persons, args.seed, Path(tmp), args.city)
    if not args.no_febrl:
        from bench.febrl import run_febrl

        print()
        run_febrl()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
