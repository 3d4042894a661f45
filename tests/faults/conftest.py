"""Session fixtures of the fault tests: one generated city, its reference masters and its row ledger.

Generating 20,000 persons and resolving them take about half a minute; every scenario streams the same
files in its own namespace, so they are made once. `HUB_FAULTS_PERSONS` makes a smaller city for a
quick local try (the issue asks for at least 20,000, the default).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from citygen.engine import generate
from hub.batch.driver import expand_inputs
from hub.settings import HubSettings, load_settings
from tests.faults.harness import HUB, namespace_env
from tests.faults.ledger import Ledger, ledger_of

PERSONS = int(os.environ.get("HUB_FAULTS_PERSONS", "20000"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in item.path.as_posix():
            item.add_marker(pytest.mark.faults)


@dataclass(frozen=True)
class City:
    files: list[Path]
    reference: bytes  # `hub resolve --masters` on the files: what every streamed run must export, byte for byte
    ledger: Ledger


@pytest.fixture(scope="session")
def city(infra: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> City:
    folder = tmp_path_factory.mktemp("city")
    generate(PERSONS, 16, folder / "exports", deltas=3)
    files = expand_inputs([folder / "exports"])
    # the largest file first: the connector is still in it while the processors start
    files.sort(key=lambda p: (-p.stat().st_size, p.name))
    masters = folder / "reference.jsonl"
    subprocess.run([HUB, "resolve", *map(str, files), "--city", infra.city_code, "--out", str(folder / "rows.jsonl"),
                    "--masters", str(masters)], check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:  # the ledger needs the schemas of a namespace registered
        for key, value in namespace_env(f"fl{uuid.uuid4().hex[:8]}", folder / "state").items():
            patch.setenv(key, value)
        from processors.setup import prepare

        settings = load_settings()
        prepare(settings)
        ledger = ledger_of(settings, files)
    return City(files, masters.read_bytes(), ledger)
