"""Build step: compile the packages `[tool.hub.native]` declares (pyproject.toml) with mypyc.

    .venv/bin/python scripts/build_native.py build     # what `make setup` runs; ~30 s, needs gcc
    .venv/bin/python scripts/build_native.py status

The build goes to ``.cache/native/<digest>/`` (`hub.runtime.compiled` says which build the
runtime loads, and why selection happens at import). Builds of older sources are removed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hub.runtime.compiled import COMPLETE, REPO_ROOT, RUNTIME, active_dir, build_dir, compiled_sources, source_digest

#: The top-level packages a build copies to compile in a scratch folder (all that compiled code imports).
_COPIED = ("hub", "connectors")


class NativeBuildError(RuntimeError):
    """mypyc or the C compiler failed; the code stays interpreted."""


def build(root: Path = REPO_ROOT) -> Path:
    """Compile for the current sources unless that build exists; drop builds of older sources."""
    target = build_dir(root)
    if not (target / COMPLETE).is_file():
        _compile_into(target, root)
    for other in target.parent.iterdir():
        if other != target and (other / COMPLETE).is_file():
            shutil.rmtree(other, ignore_errors=True)
    return target


def _compile_into(target: Path, root: Path) -> None:
    """mypyc in a scratch copy of the sources, then the extensions moved into `target` in one rename.

    The copy keeps half-built extensions away from the source tree (an extension next to its
    source would shadow it even after the source changes).
    """
    with tempfile.TemporaryDirectory(prefix="hub-native-") as scratch:
        work = Path(scratch)
        for name in _COPIED:
            shutil.copytree(root / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        shutil.copy2(root / "pyproject.toml", work / "pyproject.toml")
        mypyc = Path(sys.executable).with_name("mypyc")
        done = subprocess.run([str(mypyc), *map(str, compiled_sources(root))], cwd=work,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()  # mypy reports type errors on stdout
            raise NativeBuildError(f"mypyc failed (exit {done.returncode}): {output[-2000:]}")
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix="staged-", dir=target.parent))
        for built in work.rglob("*.so"):
            relative = built.relative_to(work)
            if "build" in relative.parts:
                continue  # intermediate copies under build/
            destination = staged / (RUNTIME if len(relative.parts) == 1 else "") / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, destination)
        (staged / COMPLETE).write_text(source_digest(root) + "\n", encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "build":
        try:
            print(f"compiled packages built in {build()}")
        except (NativeBuildError, OSError) as exc:
            print(f"not built, the interpreted code runs instead: {exc}", file=sys.stderr)
            return 1
        return 0
    if command == "status":
        import hub.engine.state

        found = active_dir()
        in_use = found is not None and not (hub.engine.state.__file__ or "").endswith(".py")
        print(f"compiled engine: {'in use from ' + str(found) if in_use else 'not in use'}")
        return 0
    print("usage: python scripts/build_native.py build|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
