"""Watch mode of the file connector: poll a drop folder and publish new files and the growth of appended ones.

Departments copy exports onto the exchange host, so a file may be seen half-written. A file is taken only
once its size and modification time stayed the same over one poll interval; after that, the file
connector's checkpoint decides what is new (nothing, the appended rows, or the whole file when it was
replaced). Hidden and temporary names (``.name``, ``*.tmp``, ``*.part``) are ignored, and so are files of
other departments when a department is given.
"""

from __future__ import annotations

import logging
from pathlib import Path

from connectors.file_connector import FileConnector, FileResult
from connectors.formats import UnknownSourceError, detect_source
from hub.contract.errors import CheckpointError, SourceReadError
from hub.contract.sources import Source

__all__ = ["watch"]

logger = logging.getLogger(__name__)

_TEMPORARY = (".tmp", ".part", ".partial", ".swp")

Signature = tuple[int, int]  # (size, mtime_ns)


def _candidates(folder: Path, source: Source | None) -> list[tuple[Path, Source]]:
    found: list[tuple[Path, Source]] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name.lower().endswith(_TEMPORARY) or not path.is_file():
            continue
        try:
            detected = detect_source(path)
        except UnknownSourceError:
            continue
        if source is None or detected == source:
            found.append((path, detected))
    return found


def watch(
    connector: FileConnector,
    folder: Path,
    source: Source | None = None,
    *,
    interval_s: float = 5.0,
    max_polls: int | None = None,
) -> list[FileResult]:
    """Poll `folder` until `connector.stop` is set (or `max_polls` polls); the results of files processed."""
    if not folder.is_dir():
        raise SourceReadError(f"drop folder {folder} does not exist or is not a folder")
    seen: dict[Path, Signature] = {}
    done: dict[Path, Signature] = {}
    results: list[FileResult] = []
    polls = 0
    logger.info("watching %s every %gs", folder, interval_s)
    while not connector.stop.is_set():
        for path, detected in _candidates(folder, source):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed since the listing
            signature = (stat.st_size, stat.st_mtime_ns)
            if done.get(path) == signature:
                continue
            if seen.get(path) != signature:
                seen[path] = signature  # changed since the last poll: let it settle
                continue
            try:
                result = connector.process(path, detected)
            except CheckpointError as exc:
                logger.warning("%s; trying again at the next poll", exc)
                continue
            except SourceReadError as exc:
                logger.error("%s", exc)
            else:
                if not result.skipped:
                    results.append(result)
            done[path] = signature
            if connector.stop.is_set():
                break
        polls += 1
        if max_polls is not None and polls >= max_polls:
            break
        connector.stop.wait(interval_s)
    return results
