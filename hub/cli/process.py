"""`hub process` (run the streaming workers) and `hub export masters` (dump the read model)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.settings import load_settings


def register(app: typer.Typer) -> None:
    export = typer.Typer(help="Dump the Redis read model.", no_args_is_help=True)
    app.add_typer(export, name="export")

    @app.command("process")
    def process(
        app_id: Annotated[str | None, typer.Option("--app-id", help="faust app id = consumer group")] = None,
    ) -> None:
        """Run the streaming processors until SIGTERM (which finishes the batch, commits and exits 0)."""
        from processors.app import run
        from processors.setup import prepare

        settings = load_settings()
        if app_id:
            settings = settings.model_copy(
                update={"processors": settings.processors.model_copy(update={"app_id": app_id})})
        prepare(settings)
        run(settings)

    @export.command("masters")
    def masters(
        out: Annotated[Path, typer.Option("--out", help="JSON lines, one master citizen each")],
        city: Annotated[str | None, typer.Option("--city", help="a served city (default: city_code)")] = None,
    ) -> None:
        """Master citizens from Redis, in the shape and order of `hub resolve --masters`: one city's."""
        from processors.export import export_masters

        settings = load_settings()
        count = export_masters(settings.for_city(city) if city else settings, out)
        typer.echo(f"exported {count} master citizens", err=True)

    @app.command("rebuild")
    def rebuild() -> None:
        """Rebuild the Redis read model from the department topics beside the live one, then swap it in at once
        (the window keeps answering meanwhile; its own keys stay), and the window's credentials from their
        topic. Stop `hub process` first."""
        from hub.cli.window import restore_from_kafka
        from processors.rebuild import rebuild as run_rebuild

        plan = run_rebuild(load_settings())
        parts = sum(len(p) for p in plan.offsets.values())
        typer.echo(f"read model rebuilt from {plan.events} events ({plan.poison} unreadable, skipped) and swapped in: "
                   f"{plan.installed_keys} keys installed, {plan.deleted_keys} replaced, {plan.kept_keys} window and "
                   f"ops keys kept; the processors resume after the snapshot on {parts} partitions", err=True)
        typer.echo(f"{restore_from_kafka()} window credential(s) restored from Kafka", err=True)
