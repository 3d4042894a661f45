"""The `hub` CLI: each area's entry in the command table names exactly the commands it adds."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import pytest
import typer

from hub.cli.areas import AREAS


def _added_by(area: str) -> set[str]:
    module, function = area.split(":")
    app = typer.Typer()
    getattr(import_module(module), function)(app)
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return commands | {g.name or "" for g in app.registered_groups}


@pytest.mark.parametrize("area", sorted(AREAS))
def test_each_area_adds_the_commands_the_table_names(area: str) -> None:
    assert _added_by(area) == set(AREAS[area])


def test_a_command_loads_only_its_area() -> None:
    code = (
        "import sys; sys.argv = ['hub', 'resolve', '--help']\n"
        "from hub import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'hub.api.app' in sys.modules, 'hub.cli.process' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--masters" in done.stdout
    assert done.stdout.strip().endswith("LOADED False False")


def test_help_lists_every_command() -> None:
    code = "import sys; sys.argv = ['hub', '--help']\nfrom hub import cli\ncli.main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for names in AREAS.values():
        for name in names:
            assert name in done.stdout
