"""The resolution engine compiled with mypyc, used only when it was built from exactly these sources.

mypyc (shipped with mypy) compiles the engine's type-annotated modules, and the department-format
readers that feed it (`connectors.formats`), to C extensions: the same code, 1.5x faster on a
100k-person city, with byte-identical output (a test compares the two).
The build goes to ``.cache/native/<digest>/``, where the digest covers every compiled source and
the Python ABI (the extensions carry mypyc's runtime, so running them needs no mypy). At import,
each compiled package (`hub.engine`, `connectors.formats`) puts that folder first on its package
path only if it exists for the current digest, so an edited source falls back to the interpreted
code instead of running a stale build. ``HUB_NATIVE=0`` forces the interpreted engine.

    .venv/bin/python -m hub.native build     # what `make setup` runs; ~30 s, needs gcc
    .venv/bin/python -m hub.native status
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import MutableSequence
from functools import cache
from pathlib import Path

from hub.settings import REPO_ROOT, cache_dir

#: Modules that stay interpreted: `policy` builds pydantic models at import (mypyc cannot
#: compile it) and `weights` (EM) runs offline; the package `__init__`s do the switching.
_INTERPRETED = {"__init__.py", "policy.py", "weights.py"}
_PACKAGES = ("hub/engine", "hub/engine/standardise", "connectors/formats")
_COMPLETE = "complete"
#: Where a build keeps mypyc's shared library, the one folder of it that goes on `sys.path`: a
#: folder holding `connectors/` there would make `connectors` a namespace package for any process
#: that imports the engine before it. Part of the digest, so a build of another layout is not loaded.
_RUNTIME = "runtime"


class NativeBuildError(RuntimeError):
    """mypyc or the C compiler failed; the engine stays pure Python."""


def compiled_sources(root: Path = REPO_ROOT) -> list[Path]:
    """The engine's source files mypyc compiles, relative to `root`, in a fixed order."""
    found: list[Path] = []
    for package in _PACKAGES:
        found.extend(sorted(p.relative_to(root) for p in (root / package).glob("*.py") if p.name not in _INTERPRETED))
    return found


#: Interpreted modules whose types the compiled code was checked against (mypyc trusts them).
_TYPED_AGAINST = ("hub/engine/__init__.py", "hub/engine/policy.py", "hub/engine/standardise/__init__.py",
                  "connectors/records.py", "hub/errors.py")


def source_digest(root: Path = REPO_ROOT) -> str:
    """Digest of what a build's behaviour depends on: the compiled sources, the interpreted modules
    they were type-checked against, and the Python ABI."""
    digest = hashlib.sha256()
    digest.update(str(sysconfig.get_config_var("SOABI")).encode() + b"\0" + _RUNTIME.encode())
    for path in [*compiled_sources(root), *map(Path, _TYPED_AGAINST)]:
        digest.update(str(path).encode() + b"\0" + (root / path).read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def build_dir(root: Path = REPO_ROOT) -> Path:
    return cache_dir() / "native" / (_installed_digest() if root == REPO_ROOT else source_digest(root))


@cache
def _installed_digest() -> str:
    """The digest of this installation's sources, read once a process (both engine packages ask)."""
    return source_digest(REPO_ROOT)


def active_dir() -> Path | None:
    """The build to load, or None: disabled, never built, or built from other sources."""
    if os.environ.get("HUB_NATIVE", "1") == "0":
        return None
    try:
        found = build_dir()
    except OSError:
        return None
    return found if (found / _COMPLETE).is_file() else None


def extend_package_path(package_path: MutableSequence[str], package: str) -> None:
    """Put the compiled modules of `package` ("hub/engine") ahead of its sources, when a build matches."""
    found = active_dir()
    if found is None:
        return
    runtime = str(found / _RUNTIME)
    if runtime not in sys.path:
        sys.path.append(runtime)  # the shared library the per-module stubs import by name
    compiled = str(found / package)
    if compiled not in package_path:
        package_path.insert(0, compiled)


def is_active() -> bool:
    """Whether the engine modules in use are the compiled ones."""
    import hub.engine.state

    return not (hub.engine.state.__file__ or "").endswith(".py")


def build(root: Path = REPO_ROOT) -> Path:
    """Compile the engine for the current sources unless that build exists; drop builds of older sources."""
    target = build_dir(root)
    if not (target / _COMPLETE).is_file():
        _compile_into(target, root)
    for other in target.parent.iterdir():
        if other != target and (other / _COMPLETE).is_file():
            shutil.rmtree(other, ignore_errors=True)
    return target


def _compile_into(target: Path, root: Path) -> None:
    """mypyc in a scratch copy of the sources, then the extensions moved into `target` in one rename.

    The copy keeps half-built extensions away from the source tree (an extension next to its
    source would shadow it even after the source changes).
    """
    with tempfile.TemporaryDirectory(prefix="hub-native-") as scratch:
        work = Path(scratch)
        for name in ("hub", "connectors"):
            shutil.copytree(root / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        shutil.copy2(root / "pyproject.toml", work / "pyproject.toml")
        mypyc = Path(sys.executable).with_name("mypyc")
        done = subprocess.run([str(mypyc), *map(str, compiled_sources(root))], cwd=work,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()  # mypy reports type errors on stdout
            raise NativeBuildError(f"mypyc failed (exit {done.returncode}): {output[-2000:]}")
        staged = Path(tempfile.mkdtemp(prefix="staged-", dir=_ensure(target.parent)))
        for built in work.rglob("*.so"):
            relative = built.relative_to(work)
            if "build" in relative.parts:
                continue  # intermediate copies under build/
            destination = staged / (_RUNTIME if len(relative.parts) == 1 else "") / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, destination)
        (staged / _COMPLETE).write_text(source_digest(root) + "\n", encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "build":
        try:
            print(f"native engine built in {build()}")
        except (NativeBuildError, OSError) as exc:
            print(f"native engine not built, the pure-Python engine runs instead: {exc}", file=sys.stderr)
            return 1
        return 0
    if command == "status":
        found = active_dir()
        print(f"native engine: {'in use from ' + str(found) if found and is_active() else 'not in use'}")
        return 0
    print("usage: python -m hub.native build|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
