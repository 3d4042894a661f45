"""The `hub` command. Each area registers its own sub-commands; a HubError prints one line and exits 1."""

from __future__ import annotations

import os
import sys

import typer

from hub.contract.errors import HubError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="citizen-hub: the city's integration hub.",
)


@app.callback()
def _root() -> None:
    """citizen-hub: department records resolved into master records, served to community halls."""


_left_to_exit: list[object] = []


def end_without_freeing(*heap: object) -> None:
    """Let the process end without freeing `heap` object by object (call it last in a command).

    A resolved city is millions of objects: freeing them took 1.3 s at 100k persons, after every
    file was already written and closed. Holding them here keeps them alive until `main` ends the
    process directly.
    """
    _left_to_exit.extend(heap)


def main() -> None:
    from hub.cli import areas

    areas.register(app, sys.argv[1] if len(sys.argv) > 1 else None)
    try:
        app()
    except HubError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    if _left_to_exit:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
