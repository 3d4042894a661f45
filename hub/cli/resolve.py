"""`hub resolve`, `hub explain` and `hub weights`: the commands of the batch driver (`hub.batch.driver`)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from hub.batch.driver import (
    InputError,
    expand_inputs,
    explanation,
    feed,
    isoformat,
    read_explanation,
    run_resolve,
    write_outputs,
)
from hub.runtime.gc_pause import paused_gc
from hub.settings import load_settings

__all__ = ["register", "register_weights"]


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
        from hub.cli.main import end_without_freeing
        from hub.engine import state
        from hub.runtime.compiled import is_compiled

        started = time.perf_counter()
        resolver, outcomes, resolution = run_resolve(files, city, policy)
        with paused_gc():  # the lines are hundreds of thousands of short-lived dicts: nothing to collect
            try:
                written = write_outputs(out, masters, conflicts, outcomes, resolution)
            except OSError as exc:  # the rows and masters are written; only `hub explain` without --files suffers
                written = len(outcomes)
                typer.echo(f"warning: explain index not written ({exc.strerror or exc}): "
                           "`hub explain` will need --files", err=True)
        elapsed = time.perf_counter() - started
        bad = sum(1 for o in outcomes if o.error)
        typer.echo(
            f"resolved {written} rows ({bad} bad) into {len(resolution.masters)} citizens, "
            f"{len(set(resolution.place_of_text.values()))} addresses, "
            f"{len(set(resolution.organization_of_key.values()))} organizations "
            f"in {elapsed:.1f}s ({written / max(elapsed, 1e-9):,.0f} rows/s, "
            f"{'compiled' if is_compiled(state) else 'interpreted'} engine)",
            err=True,
        )
        end_without_freeing(resolver, outcomes, resolution)

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
        sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=2, default=isoformat) + "\n")



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
