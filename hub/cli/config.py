"""`hub config`: show the effective settings, so operators see what the hub will connect to."""

from __future__ import annotations

import typer

from hub.settings import load_settings


def register(app: typer.Typer) -> None:
    @app.command("config")
    def show_config() -> None:
        """Print the effective settings as JSON."""
        typer.echo(load_settings().model_dump_json(indent=2))
