"""Which mypyc build of the compiled packages to load: only one built from exactly these sources.

What is compiled is declared in `pyproject.toml` (`[tool.hub.native]`: the packages, the modules
kept interpreted with the reason for each, the interpreted modules the build was type-checked
against); `make setup` builds it with `scripts/build_native.py` into `.cache/native/<digest>/`.
The digest covers every compiled source, every module it was checked against and the Python ABI.

Selection stays at import, not at install (docs/architecture.md says why): the hub runs from an
editable checkout, where extensions built in place would shadow an edited source and run stale
code. Here each compiled package's `__init__` calls `extend_package_path`, which puts the build
first on that package's path only when it matches the current sources; otherwise the same code
runs interpreted. ``HUB_NATIVE=0`` forces the interpreted code. Standard library only: every
layer may import it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
import tomllib
from collections.abc import MutableSequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

__all__ = ["NativeDeclaration", "active_dir", "build_dir", "compiled_sources", "declaration", "extend_package_path",
           "is_compiled", "source_digest"]

#: The repository root: the compiled packages, pyproject.toml and the build cache are found from it.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: A build's marker file, written last: a build without it is unfinished and never loaded.
COMPLETE = "complete"
#: Where a build keeps mypyc's shared library, the one folder of it that goes on `sys.path`: a
#: folder holding `connectors/` there would make `connectors` a namespace package for any process
#: that imports the engine before it. Part of the digest, so a build of another layout is not loaded.
RUNTIME = "runtime"


@dataclass(frozen=True)
class NativeDeclaration:
    """`[tool.hub.native]` of pyproject.toml: what mypyc compiles."""

    packages: tuple[str, ...]
    interpreted: dict[str, str]  # module file name -> why it stays interpreted
    typed_against: tuple[str, ...]


def declaration(root: Path = REPO_ROOT) -> NativeDeclaration:
    """The declaration in `root`'s pyproject.toml (none declared: nothing is compiled)."""
    try:
        with (root / "pyproject.toml").open("rb") as handle:
            table = tomllib.load(handle).get("tool", {}).get("hub", {}).get("native", {})
    except OSError:
        table = {}
    return NativeDeclaration(tuple(table.get("packages", ())), dict(table.get("interpreted", {})),
                             tuple(table.get("typed-against", ())))


def compiled_sources(root: Path = REPO_ROOT) -> list[Path]:
    """The source files mypyc compiles, relative to `root`, in a fixed order."""
    declared = declaration(root)
    found: list[Path] = []
    for package in declared.packages:
        found.extend(sorted(p.relative_to(root) for p in (root / package).glob("*.py")
                            if p.name not in declared.interpreted))
    return found


def source_digest(root: Path = REPO_ROOT) -> str:
    """Digest of what a build's behaviour depends on: the compiled sources, the interpreted modules
    they were type-checked against, and the Python ABI."""
    digest = hashlib.sha256()
    digest.update(str(sysconfig.get_config_var("SOABI")).encode() + b"\0" + RUNTIME.encode())
    for path in [*compiled_sources(root), *map(Path, declaration(root).typed_against)]:
        digest.update(str(path).encode() + b"\0" + (root / path).read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def cache_root() -> Path:
    """Where builds live (`HUB_CACHE_DIR`, else the checkout's git-ignored `.cache`)."""
    return Path(os.environ.get("HUB_CACHE_DIR", REPO_ROOT / ".cache")) / "native"


def build_dir(root: Path = REPO_ROOT) -> Path:
    """The build folder for the sources under `root`."""
    return cache_root() / (_installed_digest() if root == REPO_ROOT else source_digest(root))


@cache
def _installed_digest() -> str:
    """The digest of this installation's sources, computed once a process (every compiled package asks)."""
    return source_digest(REPO_ROOT)


def active_dir() -> Path | None:
    """The build to load, or None: disabled, never built, or built from other sources."""
    if os.environ.get("HUB_NATIVE", "1") == "0":
        return None
    try:
        found = build_dir()
    except OSError:
        return None
    return found if (found / COMPLETE).is_file() else None


def extend_package_path(package_path: MutableSequence[str], package: str) -> None:
    """Put the compiled modules of `package` ("hub/engine") ahead of its sources, when a build matches."""
    found = active_dir()
    if found is None:
        return
    runtime = str(found / RUNTIME)
    if runtime not in sys.path:
        sys.path.append(runtime)  # the shared library the per-module stubs import by name
    compiled = str(found / package)
    if compiled not in package_path:
        package_path.insert(0, compiled)


def is_compiled(module: ModuleType) -> bool:
    """Whether `module` was loaded from a build rather than from its source."""
    return not (module.__file__ or "").endswith(".py")
