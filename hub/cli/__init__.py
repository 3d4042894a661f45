"""The `hub` command: one module per command group, each with a `register(app)`, loaded lazily
(`areas` says which module adds which command)."""

from hub.cli.main import main

__all__ = ["main"]
