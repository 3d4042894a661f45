"""`hub serve`: the hub's HTTP service (`hub.api.app.create_app`) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.settings import load_settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str | None, typer.Option(help="Address to bind (default: connectors.serve_host).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: connectors.serve_port).")] = None,
    ) -> None:
        """Run the hub's HTTP service: POST /ingest/{source} for department pushes."""
        import uvicorn

        from hub.api.app import create_app

        settings = load_settings()
        uvicorn.run(
            create_app(settings),
            host=host or settings.connectors.serve_host,
            port=port or settings.connectors.serve_port,
            log_level="info",
        )
