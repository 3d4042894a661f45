"""`hub generate`: write synthetic department exports with ground truth into a directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.contract.errors import HubError


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_command(
        persons: Annotated[int, typer.Option("--persons", min=1, help="How many people live in the city.")],
        seed: Annotated[int, typer.Option("--seed", help="Same seed, same files, byte for byte.")],
        out: Annotated[Path, typer.Option("--out", help="Directory for the exports; truth goes to OUT/truth.")],
        city: Annotated[str, typer.Option("--city", help="GB/T 2260 city code: 330100, 310100, 110100.")] = "330100",
        deltas: Annotated[int, typer.Option("--deltas", min=0, max=36, help="Monthly delta exports.")] = 3,
        workers: Annotated[int | None, typer.Option("--workers", min=1,
                                                    help="Parallel processes (default: CPUs); never changes output.")]
        = None,
    ) -> None:
        """Generate messy civil-affairs, health, HRSS, tax and commerce exports plus their ground truth."""
        from citygen import generate

        try:
            summary = generate(persons, seed, out, city, deltas, workers=workers)
        except ValueError as exc:
            raise HubError(str(exc)) from exc
        typer.echo(f"{summary['persons']} persons, {summary['rows_total']} rows "
                   f"({summary['bad_share']:.2%} bad) in {summary['seconds']}s "
                   f"with {summary['workers']} workers → {out}")
        typer.echo(f"truth: {out / 'truth'} ({summary['persons_appearing']} citizens, "
                   f"{summary['addresses']} addresses, {summary['organizations']} organizations, "
                   f"{sum(summary['hard_pairs'].values())} hard pairs)")
