"""Where every sub-command group is attached to the `hub` CLI (one line per area)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach each area's commands. Add one line per area; keep the imports local."""
    from hub import settings_cli
    from hub.demo_cli import register as register_demo
    from hub.schemas_cli import register as register_schemas
    from hub.topics_cli import register as register_topics

    settings_cli.register(app)
    __import__("hub.infra.cli", fromlist=["register"]).register(app)
    register_schemas(app)
    register_topics(app)
    register_demo(app)
    __import__("hub.resolve_cli", fromlist=["register"]).register(app)
    __import__("processors.cli", fromlist=["register"]).register(app)
    __import__("hub.resolve_cli", fromlist=["register_weights"]).register_weights(app)
    __import__("connectors.cli", fromlist=["register"]).register(app)
    __import__("connectors.serve", fromlist=["register"]).register(app)
    __import__("connectors.generator.cli", fromlist=["register"]).register(app)
    __import__("hub.quality", fromlist=["register"]).register(app)
