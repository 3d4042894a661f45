"""Where every sub-command group is attached to the `hub` CLI (one line per area)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach each area's commands. Add one line per area; keep the imports local."""
    from hub import settings_cli

    settings_cli.register(app)
    __import__("hub.infra.cli", fromlist=["register"]).register(app)
