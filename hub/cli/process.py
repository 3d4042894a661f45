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
    def masters(out: Annotated[Path, typer.Option("--out", help="JSON lines, one master citizen each")]) -> None:
        """Master citizens from Redis, in the shape and order of `hub resolve --masters`."""
        from processors.export import export_masters

        count = export_masters(load_settings(), out)
        typer.echo(f"exported {count} master citizens", err=True)

    @app.command("rebuild")
    def rebuild() -> None:
        """Rebuild the Redis read model from the department topics beside the live one, then swap it in at once
        (the window keeps answering meanwhile; its own keys stay), and the window's credentials from their
        topic. Stop `hub process` first."""
        import asyncio

        from redis.asyncio import Redis

        from hub.cli.window import restore_from_topic
        from processors.rebuild import rebuild as run_rebuild

        settings = load_settings()
        plan = run_rebuild(settings)
        parts = sum(len(p) for p in plan.offsets.values())
        typer.echo(f"read model rebuilt from {plan.events} events ({plan.poison} unreadable, skipped) and swapped in: "
                   f"{plan.installed_keys} keys installed, {plan.deleted_keys} replaced, {plan.kept_keys} window and "
                   f"ops keys kept; the processors resume after the snapshot on {parts} partitions", err=True)

        async def credentials() -> int:
            redis = Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
            try:
                return await restore_from_topic(settings, redis)
            finally:
                await redis.aclose()  # type: ignore[attr-defined]

        typer.echo(f"{asyncio.run(credentials())} window credential(s) restored from Kafka", err=True)
