"""`hub demo`: registered without importing the demo, whose Kafka and registry clients load only when it runs."""

from __future__ import annotations

import typer

from hub.settings import load_settings


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo() -> None:
        """Round trip one event per department, then a generated city through connectors and processors."""
        from demos.city import run_city_demo
        from demos.roundtrip import run_demo

        settings = load_settings()
        run_demo(settings)
        run_city_demo(settings, typer.echo)
