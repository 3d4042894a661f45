"""`hub resolve` and `hub explain`: the batch driver of the resolution engine (no broker needed).

It reads any mix of department exports, feeds every row to the same engine the streaming
processors run, and writes one line per input row (the contract in departments.md), plus the
master citizens with `--masters`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import orjson
import typer

from hub.errors import HubError
from hub.gc_pause import paused_gc
from hub.settings import load_settings, state_dir

if TYPE_CHECKING:  # the engine loads its reference data on import: only the commands that run it pay
    from hub.engine.batch import RowOutcome
    from hub.engine.resolver import Resolution, Resolver


#: Buffer of the files `hub resolve` writes (tens of megabytes each): the default 8 KiB made a
#: system call per 8 KiB, a tenth of the time it took to write the rows at 100k persons.
WRITE_BUFFER = 1 << 20


class InputError(HubError):
    """An input path is missing or is not a department export."""


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the department exports directly inside it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.iterdir()) if p.is_file() and _is_export(p))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def _is_export(path: Path) -> bool:
    from connectors.formats import detect_source

    try:
        detect_source(path)
    except HubError:
        return False
    return True


def feed(resolver: Resolver, files: list[Path]) -> list[RowOutcome]:
    """Feed every row of `files` to the engine; what each row's output line needs, in input order."""
    from connectors.formats import detect_source, read_file
    from hub.engine.batch import feed_rows

    outcomes: list[RowOutcome] = []
    for path in files:
        feed_rows(resolver, read_file(path, detect_source(path)), outcomes)
    return outcomes


def output_line(outcome: RowOutcome, resolution: Resolution) -> dict[str, Any]:
    """The output line of one input row (what `write_rows` writes, by a compiled loop)."""
    if outcome.error is not None or outcome.ref is None:
        return {"source": outcome.source, "record_id": outcome.record_id, "citizen_id": None,
                "address_id": None, "organization_id": None, "error": outcome.error}
    return {
        "source": outcome.source,
        "record_id": outcome.record_id,
        "citizen_id": resolution.citizen_of_ref.get(outcome.ref),
        "address_id": resolution.place_of_text.get(outcome.address_text) if outcome.address_text else None,
        "organization_id": resolution.organization_of_key.get(outcome.org_key) if outcome.org_key else None,
    }


def write_rows(handle: BinaryIO, outcomes: Iterable[RowOutcome], resolution: Resolution) -> int:
    """One JSON line per input row, in input order: `output_line` of each (the contract in departments.md),
    by a compiled loop (`hub.engine.output.write_rows`)."""
    from hub.engine.output import write_rows as write

    return write(handle, outcomes, resolution.citizen_of_ref, resolution.place_of_text,
                 resolution.organization_of_key)


def write_masters(handle: BinaryIO, resolution: Resolution, order: list[str] | None = None) -> int:
    """The contract row of every master, by citizen id (`order`: the ids sorted, if at hand)."""
    from hub.engine.output import write_masters as write

    return write(handle, resolution.masters, sorted(resolution.masters) if order is None else order)


def _write_jsonl(handle: BinaryIO, rows: Iterable[Any]) -> int:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    write = handle.write
    count = 0
    for row in rows:
        write(dumps(row, option=newline))
        count += 1
    return count


def run_resolve(
    files: list[Path], city: str | None, policy_path: Path | None = None
) -> tuple[Resolver, list[RowOutcome], Resolution]:
    from hub.engine.policy import load_policy
    from hub.engine.resolver import Resolver

    settings = load_settings(**({"city_code": city} if city else {}))
    policy = load_policy(policy_path) if policy_path else None
    resolver = Resolver(settings.city_code, settings.citizen_id_key.get_secret_value().encode("utf-8"), policy)
    with paused_gc():
        outcomes = list(feed(resolver, expand_inputs(files)))
        resolution = resolver.resolve()
    return resolver, outcomes, resolution


def register(app: typer.Typer) -> None:
    @app.command("resolve")
    def resolve(
        files: Annotated[list[Path], typer.Argument(help="Department exports (or folders of them), any order")],
        out: Annotated[Path, typer.Option("--out", help="One JSON line per input row")],
        city: Annotated[str | None, typer.Option("--city", help="GB/T 2260 city code")] = None,
        masters: Annotated[Path | None, typer.Option("--masters", help="Also write master citizens")] = None,
        conflicts: Annotated[Path | None, typer.Option("--conflicts", help="Also write data-quality conflicts")]
        = None,
        policy: Annotated[Path | None, typer.Option("--policy", help="Resolution policy file (policy.toml)")]
        = None,
    ) -> None:
        """Resolve department exports into master records, in-process (the batch driver of the engine)."""
        from hub import cli, native

        started = time.perf_counter()
        resolver, outcomes, resolution = run_resolve(files, city, policy)
        with paused_gc():  # the lines are hundreds of thousands of short-lived dicts: nothing to collect
            written = _write_outputs(out, masters, conflicts, outcomes, resolution)
        elapsed = time.perf_counter() - started
        bad = sum(1 for o in outcomes if o.error)
        typer.echo(
            f"resolved {written} rows ({bad} bad) into {len(resolution.masters)} citizens, "
            f"{len(set(resolution.place_of_text.values()))} addresses, "
            f"{len(set(resolution.organization_of_key.values()))} organisations "
            f"in {elapsed:.1f}s ({written / max(elapsed, 1e-9):,.0f} rows/s, "
            f"{'compiled' if native.is_active() else 'interpreted'} engine)",
            err=True,
        )
        cli.end_without_freeing(resolver, outcomes, resolution)

    @app.command("explain")
    def explain(
        citizen_id: Annotated[str, typer.Argument(help="A master citizen id (C-…)")],
        files: Annotated[list[Path] | None, typer.Option("--files", help="Resolve these exports again")] = None,
        city: Annotated[str | None, typer.Option("--city")] = None,
    ) -> None:
        """Print why each source record belongs to a master citizen: the links and the rules behind them.

        Without --files it reads what the last `hub resolve` recorded (see `explain_index_path`).
        """
        if files:
            _, _, resolution = run_resolve(files, city)
            if citizen_id not in resolution.masters:
                raise InputError(f"no master citizen {citizen_id} in these files")
            found = explanation(resolution, citizen_id)
        else:
            found = read_explanation(citizen_id)
        sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=2, default=_isoformat) + "\n")


def _write_outputs(out: Path, masters: Path | None, conflicts: Path | None, outcomes: list[RowOutcome],
                   resolution: Resolution) -> int:
    """The files `hub resolve` writes: rows, masters and conflicts if asked, and the explain index."""
    with out.open("wb", buffering=WRITE_BUFFER) as handle:
        written = write_rows(handle, outcomes, resolution)
    order = sorted(resolution.masters)
    if masters is not None:
        with masters.open("wb", buffering=WRITE_BUFFER) as handle:
            write_masters(handle, resolution, order)
    if conflicts is not None:
        with conflicts.open("wb") as handle:
            _write_jsonl(handle, (_conflict_row(c) for c in resolution.conflicts))
    try:
        write_explanations(resolution, order)
    except OSError as exc:  # the rows and masters are written; only `hub explain` without --files suffers
        typer.echo(f"warning: explain index not written ({exc.strerror or exc}): "
                   "`hub explain` will need --files", err=True)
    return written


def explain_index_path() -> Path:
    """Where `hub resolve` leaves what explains each master, for `hub explain ID` (JSON Lines of
    `hub.engine.explain.index_entry`)."""
    return state_dir() / "resolve" / "explain.jsonl"


def write_explanations(resolution: Resolution, order: list[str] | None = None) -> None:
    """The explain index of every master, by citizen id (`order`: the ids sorted, if at hand)."""
    from hub.engine.output import write_index

    path = explain_index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=WRITE_BUFFER) as handle:
        write_index(handle, resolution, sorted(resolution.masters) if order is None else order)


def read_explanation(citizen_id: str) -> dict[str, Any]:
    from hub.engine.explain import expand

    path = explain_index_path()
    if not path.exists():
        raise InputError("no resolution to explain yet: run `hub resolve` first, or pass --files")
    prefix = b'{"citizen_id":' + orjson.dumps(citizen_id)
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(prefix):
                return expand(orjson.loads(line))
    raise InputError(f"no master citizen {citizen_id} in the last resolution ({path})")


def explanation(resolution: Resolution, citizen_id: str) -> dict[str, Any]:
    """Members, the links that joined them (with rule or score), links refused, and field provenance."""
    from hub.engine.explain import expand, index_entry

    return expand(index_entry(resolution, citizen_id))


def _isoformat(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _conflict_row(conflict: Any) -> dict[str, Any]:
    def side(v: Any) -> dict[str, Any]:
        value = v.value.isoformat() if hasattr(v.value, "isoformat") else v.value
        return {"source": v.source, "record_id": v.record_id, "value": value}

    return {"citizen_id": conflict.citizen_id, "field": conflict.field,
            "authoritative": side(conflict.authoritative), "contradicting": side(conflict.contradicting)}


def register_weights(app: typer.Typer) -> None:
    weights_app = typer.Typer(no_args_is_help=True, help="Match weights (m/u) of the resolution policy.")
    app.add_typer(weights_app, name="weights")

    @weights_app.command("estimate")
    def estimate_weights(
        files: Annotated[list[Path], typer.Argument(help="Department exports to learn from")],
        out: Annotated[Path, typer.Option("--out", help="Policy file to write (policy.toml shape)")],
        city: Annotated[str | None, typer.Option("--city")] = None,
    ) -> None:
        """Estimate m/u weights by EM over the blocking's candidate pairs and write a policy file."""
        from hub.engine.resolver import Resolver
        from hub.engine.weights import (
            comparison_vectors,
            estimate,
            random_pair_vectors,
            render_policy,
            u_from_random_pairs,
        )

        settings = load_settings(**({"city_code": city} if city else {}))
        resolver = Resolver(settings.city_code, settings.citizen_id_key.get_secret_value().encode("utf-8"))
        for _ in feed(resolver, expand_inputs(files)):
            pass
        vectors = comparison_vectors(resolver.state, resolver.policy)
        fixed_u = u_from_random_pairs(random_pair_vectors(resolver.state, resolver.policy))
        weights, share = estimate(vectors, resolver.policy.match.weights, fixed_u=fixed_u)
        out.write_text(render_policy(resolver.policy, weights, share, len(vectors)), encoding="utf-8")
        typer.echo(f"estimated weights from {len(vectors)} candidate pairs (match share {share:.3f}) -> {out}")
