"""The batch driver of the resolution engine (`hub resolve`, `hub explain`; no broker needed).

It reads any mix of department exports, feeds every row to the same engine the streaming
processors run, and writes one line per input row (the contract in docs/departments.md), the
master citizens, the conflicts and the explain index. The command wiring is `hub.cli.resolve`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from hub.contract.errors import HubError
from hub.runtime.gc_pause import paused_gc
from hub.settings import load_settings, state_dir

if TYPE_CHECKING:  # the engine loads its reference data on import: only the commands that run it pay
    from hub.batch.rows import RowOutcome
    from hub.engine.resolver import Resolution, Resolver

__all__ = [
    "InputError",
    "expand_inputs",
    "explain_index_path",
    "explanation",
    "feed",
    "read_explanation",
    "run_resolve",
    "write_explanations",
    "write_masters",
    "write_outputs",
    "write_rows",
]

#: Buffer of the files `hub resolve` writes (tens of megabytes each): the default 8 KiB made a
#: system call per 8 KiB, a tenth of the time it took to write the rows at 100k persons.
WRITE_BUFFER = 1 << 20


class InputError(HubError):
    """An input path is missing or is not a department export."""


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the department exports directly inside it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.iterdir()) if p.is_file() and _is_export(p))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return files


def _is_export(path: Path) -> bool:
    from connectors.formats import detect_source

    try:
        detect_source(path)
    except HubError:
        return False
    return True


def feed(resolver: Resolver, files: list[Path]) -> list[RowOutcome]:
    """Feed every row of `files` to the engine; what each row's output line needs, in input order."""
    from connectors.formats import detect_source, read_file
    from hub.batch.rows import feed_rows

    outcomes: list[RowOutcome] = []
    for path in files:
        feed_rows(resolver, read_file(path, detect_source(path)), outcomes)
    return outcomes


def write_rows(handle: BinaryIO, outcomes: Iterable[RowOutcome], resolution: Resolution) -> int:
    """One JSON line per input row, in input order (the contract in docs/departments.md), by a compiled
    loop (`hub.batch.output.write_rows`)."""
    from hub.batch.output import write_rows as write

    return write(handle, outcomes, resolution.citizen_of_ref, resolution.place_of_text,
                 resolution.organization_of_key)


def write_masters(handle: BinaryIO, resolution: Resolution, order: list[str] | None = None) -> int:
    """The contract row of every master, by citizen id (`order`: the ids sorted, if at hand)."""
    from hub.batch.output import write_masters as write

    return write(handle, resolution.masters, sorted(resolution.masters) if order is None else order)


def _write_jsonl(handle: BinaryIO, rows: Iterable[Any]) -> int:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    write = handle.write
    count = 0
    for row in rows:
        write(dumps(row, option=newline))
        count += 1
    return count


def run_resolve(
    files: list[Path], city: str | None, policy_path: Path | None = None
) -> tuple[Resolver, list[RowOutcome], Resolution]:
    from hub.engine.policy import load_policy
    from hub.engine.resolver import Resolver

    settings = load_settings(**({"city_code": city} if city else {}))
    policy = load_policy(policy_path) if policy_path else None
    resolver = Resolver(settings.city_code, settings.citizen_id_key.get_secret_value().encode("utf-8"), policy)
    with paused_gc():
        outcomes = list(feed(resolver, expand_inputs(files)))
        resolution = resolver.resolve()
    return resolver, outcomes, resolution



def write_outputs(out: Path, masters: Path | None, conflicts: Path | None, outcomes: list[RowOutcome],
                   resolution: Resolution) -> int:
    """The files `hub resolve` writes: rows, masters and conflicts if asked, then the explain index.

    An explain index that cannot be written raises OSError after the rest is out: the caller warns.
    """
    with out.open("wb", buffering=WRITE_BUFFER) as handle:
        written = write_rows(handle, outcomes, resolution)
    order = sorted(resolution.masters)
    if masters is not None:
        with masters.open("wb", buffering=WRITE_BUFFER) as handle:
            write_masters(handle, resolution, order)
    if conflicts is not None:
        with conflicts.open("wb") as handle:
            _write_jsonl(handle, (_conflict_row(c) for c in resolution.conflicts))
    write_explanations(resolution, order)  # OSError: the rows and masters are written already
    return written


def explain_index_path() -> Path:
    """Where `hub resolve` leaves what explains each master, for `hub explain ID` (JSON Lines of
    `hub.engine.explain.index_entry`)."""
    return state_dir() / "resolve" / "explain.jsonl"


def write_explanations(resolution: Resolution, order: list[str] | None = None) -> None:
    """The explain index of every master, by citizen id (`order`: the ids sorted, if at hand)."""
    from hub.batch.output import write_index

    path = explain_index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=WRITE_BUFFER) as handle:
        write_index(handle, resolution, sorted(resolution.masters) if order is None else order)


def read_explanation(citizen_id: str) -> dict[str, Any]:
    from hub.engine.explain import expand

    path = explain_index_path()
    if not path.exists():
        raise InputError("no resolution to explain yet: run `hub resolve` first, or pass --files")
    prefix = b'{"citizen_id":' + orjson.dumps(citizen_id)
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(prefix):
                return expand(orjson.loads(line))
    raise InputError(f"no master citizen {citizen_id} in the last resolution ({path})")


def explanation(resolution: Resolution, citizen_id: str) -> dict[str, Any]:
    """Members, the links that joined them (with rule or score), links refused, and field provenance."""
    from hub.engine.explain import expand, index_entry

    return expand(index_entry(resolution, citizen_id))


def isoformat(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _conflict_row(conflict: Any) -> dict[str, Any]:
    def side(v: Any) -> dict[str, Any]:
        value = v.value.isoformat() if hasattr(v.value, "isoformat") else v.value
        return {"source": v.source, "record_id": v.record_id, "value": value}

    return {"citizen_id": conflict.citizen_id, "field": conflict.field,
            "authoritative": side(conflict.authoritative), "contradicting": side(conflict.contradicting)}
