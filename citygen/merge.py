"""Assemble the chunks' part files into the final exports and truth, in chunk order.

Exports: one header (with the BOM for civil affairs), then each part's bytes. Truth rows get
their row numbers shifted by the rows earlier chunks wrote to the same file. Same-name-same-birth
hard pairs are found here, over the whole population.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson

from citygen.chunk import NAMESAKES
from citygen.writers import FORMATS, export_name
from hub.contract.sources import SOURCES

TRUTH_FILES = ("records.jsonl", "citizens.jsonl", "hard_pairs.jsonl", "addresses.jsonl", "organizations.jsonl")


def merge_parts(out: Path, labels: tuple[str, ...], parts: list[Path]) -> dict[str, int]:
    """Write the final files from `parts` (in chunk order); returns same-name-same-birth pair count."""
    offsets: list[dict[str, int]] = [{} for _ in parts]
    for source in SOURCES:
        fmt = FORMATS[source]
        for period in range(len(labels) + 1):
            name = export_name(source, period, labels)
            with open(out / name, "wb") as target:
                target.write(fmt.header())
                rows = 0
                for i, part in enumerate(parts):
                    offsets[i][name] = rows
                    with open(part / name, "rb") as piece:
                        shutil.copyfileobj(piece, target, 1 << 20)
                    rows += _rows_in(part, name)
    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    with open(truth / "records.jsonl", "wb") as target:
        for i, part in enumerate(parts):
            _shift_rows(part / "records.jsonl", offsets[i], target)
    with open(truth / "citizens.jsonl", "wb") as target:
        for part in parts:
            with open(part / "citizens.jsonl", "rb") as piece:
                shutil.copyfileobj(piece, target, 1 << 20)
    for name, key in (("addresses.jsonl", b'"address_id":"'), ("organizations.jsonl", b'"organization_id":"')):
        _dedupe(parts, name, key, truth / name)
    with open(truth / "hard_pairs.jsonl", "wb") as target:
        for part in parts:
            with open(part / "hard_pairs.jsonl", "rb") as piece:
                shutil.copyfileobj(piece, target, 1 << 20)
        namesake_pairs = _namesake_pairs(parts, target)
    shutil.rmtree(out / ".parts")
    return {"namesake_same_birth": namesake_pairs}


_ROW_COUNTS: dict[tuple[Path, str], int] = {}


def count_rows(part: Path, counts: dict[str, int]) -> None:
    """Remember how many data rows each part file holds (reported by the chunk, not re-read)."""
    for name, rows in counts.items():
        _ROW_COUNTS[(part, name)] = rows


def _rows_in(part: Path, name: str) -> int:
    return _ROW_COUNTS.get((part, name), 0)


def _shift_rows(path: Path, offsets: dict[str, int], target: IO[bytes]) -> None:
    """Rewrite `"row":N` as N + offset of its file; lines start {"file":"…","row":N, (orjson keeps order)."""
    marker = b'","row":'
    with open(path, "rb") as lines:
        for line in lines:
            i = line.index(marker)
            j = line.index(b",", i + len(marker))
            offset = offsets[line[9:i].decode()]
            if offset:
                line = line[: i + len(marker)] + str(int(line[i + len(marker) : j]) + offset).encode() + line[j:]
            target.write(line)


def _dedupe(parts: list[Path], name: str, key: bytes, target_path: Path) -> None:
    seen: set[bytes] = set()
    with open(target_path, "wb") as target:
        for part in parts:
            with open(part / name, "rb") as lines:
                for line in lines:
                    start = line.index(key) + len(key)
                    ident = line[start : line.index(b'"', start)]
                    if ident not in seen:
                        seen.add(ident)
                        target.write(line)


def _namesake_lines(parts: list[Path]) -> Iterator[tuple[str, str]]:
    for part in parts:
        with open(part / NAMESAKES, encoding="utf-8") as lines:
            for line in lines:
                key, pid = line.rstrip("\n").split("\t")
                yield key, pid


def _namesake_pairs(parts: list[Path], target: IO[bytes]) -> int:
    """Every pair of appearing people sharing legal name and birth date (planted or by chance)."""
    first: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    count = 0
    for key, pid in _namesake_lines(parts):
        earlier = first.setdefault(key, pid)
        if earlier == pid:
            continue
        group = groups.setdefault(key, [earlier])
        for other in group:
            a, b = sorted((other, pid))
            target.write(orjson.dumps({"a": a, "b": b, "kind": "namesake_same_birth"}) + b"\n")
            count += 1
        group.append(pid)
    return count
