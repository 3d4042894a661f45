"""The env file `.hub/env` that tells every hub process where the local services listen.

Only our keys are replaced; other lines (comments, keys someone added by hand) are kept in place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def render_env(existing: str, values: Mapping[str, str]) -> str:
    """existing with each KEY=... line of values replaced in place and missing keys appended."""
    pending = dict(values)
    lines: list[str] = []
    for line in existing.splitlines():
        key = line.split("=", 1)[0].strip().removeprefix("export ").strip() if "=" in line else None
        if key is not None and not line.lstrip().startswith("#") and key in values:
            if key in pending:
                lines.append(f"{key}={pending.pop(key)}")
            continue  # a duplicate of a key already written
        lines.append(line)
    lines.extend(f"{key}={value}" for key, value in pending.items())
    return "\n".join(lines) + "\n"


def write_env(path: Path, values: Mapping[str, str]) -> None:
    """Update path atomically (readers never see a half-written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.read_text() if path.is_file() else ""
    text = render_env(existing, values)
    if text == existing:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
