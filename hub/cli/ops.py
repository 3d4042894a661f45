"""`hub lag`, `hub dlq list|show|replay`, `hub quality report`: the operations commands (hub/ops/)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.settings import load_settings

__all__ = ["register"]

dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: counts by reason, one letter masked, replay.")
quality_app = typer.Typer(no_args_is_help=True, help="Data quality (多元校核): conflicts, rejects, link rates.")


def _lag(as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for machines.")] = False,
         why: Annotated[bool, typer.Option("--why", help="Add the rule and its evidence per partition.")] = False,
         ) -> None:
    """Lag of every consumer group the hub expects: events, seconds, and Burrow's status over a window."""
    from hub.ops.lag import collect

    report = collect(load_settings())
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    for g in report.groups:
        seconds = "-" if g.max_lag_seconds is None else f"{g.max_lag_seconds:.1f}s"
        typer.echo(f"{g.group}  {g.status}  total lag {g.total_lag}  oldest {seconds}  "
                   f"({g.state}, {g.members} members)")
        width = max((len(p.topic) for p in g.partitions), default=5)
        typer.echo(f"  {'TOPIC':<{width}}  PART  COMMITTED       END       LAG   LAG-S  STATUS")
        for p in g.partitions:
            committed = "-" if p.committed is None else str(p.committed)
            secs = "-" if p.lag_seconds is None else f"{p.lag_seconds:.1f}"
            line = (f"  {p.topic:<{width}}  {p.partition:>4}  {committed:>9}  {p.end:>8}  {p.lag:>8}  "
                    f"{secs:>6}  {p.status}")
            typer.echo(line + (f"  {p.evidence}" if why else ""))


def register(app: typer.Typer) -> None:
    app.command("lag")(_lag)
    app.add_typer(dlq_app, name="dlq")
    app.add_typer(quality_app, name="quality")
