"""Where every sub-command group is attached to the `hub` CLI (one line per area).

Each area is imported only when needed: a command names its area, so `hub resolve` does not
import Kafka, FastAPI or Redis clients (half a second of start-up at every call). Help, or a
name no area claims, registers them all, so a command missing from this table still works.
"""

from __future__ import annotations

from importlib import import_module

import typer

#: "module:function" that registers an area -> the top-level commands and groups it adds.
AREAS: dict[str, tuple[str, ...]] = {
    "hub.cli.config:register": ("config",),
    "hub.cli.infra:register": ("infra",),
    "hub.cli.schemas:register": ("schemas",),
    "hub.cli.topics:register": ("topics",),
    "hub.cli.demo:register": ("demo",),
    "hub.cli.resolve:register": ("resolve", "explain"),
    "hub.cli.process:register": ("process", "export", "rebuild"),
    "hub.cli.resolve:register_weights": ("weights",),
    "hub.cli.connect:register": ("connect",),
    "hub.cli.serve:register": ("serve",),
    "hub.cli.generate:register": ("generate",),
    "hub.cli.score:register": ("score",),
    "hub.cli.window:register": ("credentials", "grants", "audit", "window"),
    "hub.cli.ops:register": ("lag", "dlq", "quality"),
}


def register(app: typer.Typer, command: str | None = None) -> None:
    """Attach the area that adds `command`, or every area when none (or no known area) adds it."""
    chosen = [area for area, names in AREAS.items() if command in names]
    for area in chosen or AREAS:
        module, function = area.split(":")
        getattr(import_module(module), function)(app)
