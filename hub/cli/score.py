"""`hub score`: a resolution scored against the city simulator's ground truth (`citygen.scoring`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from citygen.scoring import score

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Attach `hub score` to the CLI."""

    @app.command("score")
    def score_command(
        truth: Annotated[Path, typer.Option("--truth", help="The generator's truth directory (DIR/truth).")],
        out: Annotated[Path, typer.Option("--out", help="`hub resolve` row output (JSON Lines).")],
        masters: Annotated[Path | None, typer.Option("--masters", help="`hub resolve --masters` output.")] = None,
        json_out: Annotated[Path | None, typer.Option("--json", help="Also write the scores as JSON here.")] = None,
    ) -> None:
        """Score a resolution against the generator's ground truth and print a table."""
        report = score(truth, out, masters)
        typer.echo(report.table())
        if json_out is not None:
            json_out.write_bytes(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2))
