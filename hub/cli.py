"""The `hub` command. Each area registers its own sub-commands; a HubError prints one line and exits 1."""

from __future__ import annotations

import sys

import typer

from hub.errors import HubError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="citizen-hub: the city's integration hub.",
)


@app.callback()
def _root() -> None:
    """citizen-hub: department records resolved into master records, served to community halls."""


def main() -> None:
    from hub import commands

    commands.register(app)
    try:
        app()
    except HubError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
