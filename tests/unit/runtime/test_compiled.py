"""The mypyc-compiled packages: the build step compiles what pyproject.toml declares, the runtime loads
a build only for the exact sources it was built from, and it resolves byte for byte like the interpreted
code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from citygen.engine import generate
from hub.runtime.compiled import active_dir, compiled_sources, declaration, source_digest
from hub.settings import REPO_ROOT

NOT_BUILT = "the compiled engine is not built here (scripts/build_native.py build)"


def _copy_engine(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for package in ("hub", "hub/contract", "hub/engine", "hub/engine/standardise", "hub/batch", "connectors",
                    "connectors/formats"):
        (root / package).mkdir(parents=True, exist_ok=True)
        for source in (REPO_ROOT / package).glob("*.py"):
            shutil.copy2(source, root / package / source.name)
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_declared_packages_are_compiled_and_the_reasons_to_stay_interpreted_are_given() -> None:
    declared = declaration()
    assert {"hub/engine", "hub/engine/standardise", "hub/batch", "connectors/formats"} <= set(declared.packages)
    assert all(reason.strip() for reason in declared.interpreted.values())
    sources = {str(p) for p in compiled_sources()}
    assert {"hub/batch/rows.py", "hub/batch/output.py", "hub/engine/state.py"} <= sources
    assert not any(p.endswith(("__init__.py", "/policy.py", "/driver.py")) for p in sources)
    assert all((REPO_ROOT / path).is_file() for path in declared.typed_against)


def test_the_digest_follows_the_compiled_sources_and_the_types_they_rely_on(tmp_path: Path) -> None:
    root = _copy_engine(tmp_path)
    before = source_digest(root)
    assert source_digest(root) == before
    weights = root / "hub/engine/weights.py"  # interpreted, and nothing compiled imports it
    weights.write_text(weights.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert source_digest(root) == before
    for source in [*compiled_sources(root), Path("hub/contract/records.py"), Path("hub/engine/policy.py")]:
        path = root / source
        original = path.read_bytes()
        path.write_bytes(original + b"\n# edited\n")
        assert source_digest(root) != before, source
        path.write_bytes(original)
    assert source_digest(root) == before


def test_only_a_complete_build_for_the_current_sources_is_loaded(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HUB_NATIVE", raising=False)
    assert active_dir() is None
    stale = tmp_path / "native" / ("0" * 20)
    stale.mkdir(parents=True)
    (stale / "complete").write_text("old sources\n", encoding="utf-8")
    assert active_dir() is None
    current = tmp_path / "native" / source_digest()
    current.mkdir(parents=True)
    assert active_dir() is None, "an unfinished build is not loaded"
    (current / "complete").write_text("\n", encoding="utf-8")
    assert active_dir() == current
    monkeypatch.setenv("HUB_NATIVE", "0")
    assert active_dir() is None


@pytest.mark.skipif(active_dir() is None, reason=NOT_BUILT)
def test_every_compiled_package_loads_its_build() -> None:
    import connectors.formats.csv_rows
    import hub.batch.output
    import hub.engine.standardise.addresses
    import hub.engine.state

    for module in (hub.engine.state, hub.engine.standardise.addresses, connectors.formats.csv_rows, hub.batch.output):
        assert str(module.__file__).startswith(str(active_dir())), module.__file__


@pytest.mark.skipif(active_dir() is None, reason=NOT_BUILT)
def test_a_process_outside_the_checkout_that_imports_the_engine_first_still_finds_the_readers(tmp_path: Path) -> None:
    # as `hub resolve` does: the build's folders must not shadow the `connectors` package
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    code = "import hub.engine.state; import connectors.formats as f; print(f.__file__, f.read_file.__module__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == str(REPO_ROOT / "connectors/formats/__init__.py")


@pytest.mark.skipif(active_dir() is None, reason=NOT_BUILT)
def test_the_compiled_engine_resolves_byte_for_byte_like_the_interpreted_one(tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate(400, 11, city)
    outputs: dict[str, list[bytes]] = {}
    for native in ("1", "0"):
        run = tmp_path / f"native-{native}"
        run.mkdir()
        env = {**os.environ, "HUB_NATIVE": native, "HUB_STATE_DIR": str(run / "state")}
        status = subprocess.run([sys.executable, str(REPO_ROOT / "scripts/build_native.py"), "status"], env=env,
                                capture_output=True, text=True, check=True)
        assert ("in use" in status.stdout and "not" not in status.stdout) == (native == "1"), status.stdout
        files = [run / "out.jsonl", run / "masters.jsonl", run / "conflicts.jsonl", run / "state/resolve/explain.jsonl"]
        done = subprocess.run(
            [sys.executable, "-c", "from hub.cli.main import main; main()", "resolve", str(city), "--city", "330100",
             "--out", str(files[0]), "--masters", str(files[1]), "--conflicts", str(files[2])],
            env=env, capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs[native] = [f.read_bytes() for f in files]
    assert outputs["1"] == outputs["0"]
    assert all(outputs["1"])
