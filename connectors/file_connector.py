"""The file connector: a department export file → dept.<source>.v1 (good rows) and dlq.<source>.v1 (bad rows).

Rows are streamed with `connectors.formats.read_file` (bounded memory whatever the file size) and published
through the department SDK. Exactly-once in effect:

- **Checkpoint per file** (`FileCheckpoint`, kept by `CheckpointStore`, a local fsynced JSON file): the
  file's identity (absolute path, SHA-256 of its first MiB as first seen, and that length) and the byte
  offset of the next row not yet acknowledged by Kafka.
- **Produce, then acknowledgements, then checkpoint**: rows are produced in batches, each batch counted by
  a `DeliveryTracker`; the checkpoint moves to the end of a batch only when that batch and every earlier one
  were acknowledged (acks=all) without failure. Batches overlap, so waiting never drains the pipeline.
- **Resume**: after a crash the next run starts at the checkpoint; only rows between the last checkpoint and
  the crash are produced again, and they carry the same deterministic event ids (`hub.wire.events`).
- **Re-run**: a file whose identity matches and whose size is what was read last time is skipped (no-op);
  a file that grew is read on from the checkpoint (appended rows only); a file whose head changed is a new
  file and is read from its start.

The connector exits 0 for bad rows (they are dead letters); only a file that cannot be read at all (missing,
no permission, name of no department) or a Kafka failure is an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel

from connectors.checkpoints import CheckpointStore
from connectors.delivery import DeliveryTracker, kafka_cluster_id
from connectors.formats import ResumeOffsetError, UnknownSourceError, detect_source, read_file
from connectors.progress import NullProgress, Progress
from connectors.sdk import DepartmentPublisher, FileOrigin
from hub.contract.errors import BadRecordError, DeliveryError, SchemaMismatchError, SourceReadError
from hub.contract.sources import Source
from hub.contract.timezone import CST
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry

__all__ = ["FileCheckpoint", "FileConnector", "FileResult"]

logger = logging.getLogger(__name__)

HEAD_BYTES = 1 << 20


class FileCheckpoint(BaseModel):
    """Where a file was left: its identity, and the offset of the first row not known to be acknowledged."""

    path: str
    source: str
    head_length: int
    head_sha256: str
    offset: int
    scanned_size: int
    rows: int = 0
    published: int = 0
    dead_letters: int = 0
    updated_at: datetime

    def same_file(self, fh: BinaryIO, size: int) -> bool:
        """Whether the open file starts as the checkpointed one did and is not shorter than the offset."""
        if size < self.head_length or size < self.offset:
            return False
        return _head_digest(fh, self.head_length) == self.head_sha256


@dataclass(frozen=True)
class FileResult:
    path: Path
    source: Source
    rows: int
    published: int
    dead_letters: int
    start_offset: int
    end_offset: int
    skipped: bool
    seconds: float

    def summary(self) -> str:
        if self.skipped:
            return f"{self.path.name}: already published (checkpoint at byte {self.end_offset}), nothing to do"
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.path.name}: {self.rows} rows → {self.published} published, {self.dead_letters} dead letters "
            f"(bytes {self.start_offset}–{self.end_offset}, {self.seconds:.1f} s, {rate:,.0f} rows/s)"
        )


def _head_digest(fh: BinaryIO, length: int) -> str:
    fh.seek(0)
    digest = hashlib.sha256()
    remaining = length
    while remaining > 0:
        chunk = fh.read(min(remaining, 1 << 16))
        if not chunk:
            break
        digest.update(chunk)
        remaining -= len(chunk)
    return digest.hexdigest()


class FileConnector:
    """Publishes department files with per-file checkpoints (see the module docstring).

    `batch_rows` rows (or `batch_s` seconds) make one acknowledgement batch; the checkpoint is written at most
    every `checkpoint_s` seconds and at the end of each file. `stop` ends a run early but cleanly: the rows
    produced so far are waited for and checkpointed.
    """

    def __init__(
        self,
        settings: HubSettings,
        *,
        store: CheckpointStore | None = None,
        registry: SchemaRegistry | None = None,
        progress: Progress | None = None,
        batch_rows: int = 20_000,
        batch_s: float = 0.5,
        checkpoint_s: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or CheckpointStore(settings.connectors.checkpoint_dir(),
                                              cluster=lambda: kafka_cluster_id(settings))
        self.registry = registry
        self.progress: Progress = progress or NullProgress()
        self.batch_rows = batch_rows
        self.batch_s = batch_s
        self.checkpoint_s = checkpoint_s
        self.stop = stop or threading.Event()
        self._publishers: dict[str, DepartmentPublisher] = {}

    def publisher(self, source: Source) -> DepartmentPublisher:
        if source not in self._publishers:
            shared = next(iter(self._publishers.values()), None)
            self._publishers[source] = DepartmentPublisher(
                self.settings,
                source,
                registry=self.registry,
                producer=shared.producer if shared else None,
            )
        return self._publishers[source]

    def close(self) -> None:
        for publisher in self._publishers.values():
            publisher.close()

    def __enter__(self) -> FileConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one file ----------------------------------------------------------------------------------

    def process(self, path: Path, source: Source | None = None) -> FileResult:
        """Publish what of the file is not yet published; SourceReadError when the file cannot be read."""
        path = path.absolute()
        try:
            source = source or detect_source(path)
        except UnknownSourceError as exc:
            raise SourceReadError(str(exc)) from None
        key = f"file:{path}"
        with self.store.lock(key):
            return self._process_locked(path, source, key)

    def _process_locked(self, path: Path, source: Source, key: str) -> FileResult:
        began = time.monotonic()
        try:
            with path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                checkpoint = self.store.load(key, FileCheckpoint)
                if checkpoint is not None and checkpoint.source == source and checkpoint.same_file(fh, size):
                    if checkpoint.scanned_size == size:
                        return FileResult(path, source, 0, 0, 0, checkpoint.offset, checkpoint.offset, True, 0.0)
                else:
                    head_length = min(size, HEAD_BYTES)
                    checkpoint = FileCheckpoint(
                        path=str(path),
                        source=source,
                        head_length=head_length,
                        head_sha256=_head_digest(fh, head_length),
                        offset=0,
                        scanned_size=0,
                        updated_at=datetime.now(CST),
                    )
        except OSError as exc:
            raise SourceReadError(f"cannot read {path}: {exc.strerror or exc}") from None
        start = checkpoint.offset
        self.progress.start(path.name, size, start)
        try:
            counts = self._publish_rows(path, source, key, checkpoint, start)
        except ResumeOffsetError:
            logger.warning("%s: checkpoint is not a row start any more; reading the file from its start", path.name)
            checkpoint = checkpoint.model_copy(update={"offset": 0})
            start = 0
            counts = self._publish_rows(path, source, key, checkpoint, 0)
        except OSError as exc:
            raise SourceReadError(f"cannot read {path}: {exc.strerror or exc}") from None
        rows, published, dead, end = counts
        result = FileResult(path, source, rows, published, dead, start, end, False, time.monotonic() - began)
        self.progress.finish(result.summary())
        return result

    def _publish_rows(
        self, path: Path, source: Source, key: str, checkpoint: FileCheckpoint, start: int
    ) -> tuple[int, int, int, int]:
        """Produce every row from `start`, checkpointing behind the acknowledgements; (rows, published, dead, end)."""
        run = _FileRun(self, path, source, key, checkpoint, start)
        try:
            run.publish_all()
        except DeliveryError:
            run.save(finished=False)  # keep what was acknowledged before the failure
            raise
        return run.rows, run.published, run.dead, run.offset


Position = tuple[int, int, int, int]  # (offset, rows, published, dead letters) at a batch end


class _FileRun:
    """One pass over one file: produce rows in batches, settle batches in order, checkpoint the acked end."""

    def __init__(
        self, connector: FileConnector, path: Path, source: Source, key: str, checkpoint: FileCheckpoint, start: int
    ) -> None:
        self.connector = connector
        self.publisher = connector.publisher(source)
        self.path, self.source, self.key, self.start = path, source, key, start
        self.checkpoint = checkpoint
        self.base = (checkpoint.rows, checkpoint.published, checkpoint.dead_letters)
        self.rows = self.published = self.dead = 0
        self.offset = start
        self.acked: Position = (start, 0, 0, 0)
        self.pending: deque[tuple[DeliveryTracker, Position]] = deque()
        self.size_at_start = os.stat(path).st_size

    def publish_all(self) -> None:
        connector, publisher = self.connector, self.publisher
        progress, stop = connector.progress, connector.stop
        file_name = str(self.path)
        batch = DeliveryTracker()
        batch_began = last_saved = time.monotonic()
        ingested_ms = time.time_ns() // 1_000_000
        publish, dead_letter = publisher.publish, publisher.dead_letter
        for row in read_file(self.path, self.source, start_offset=self.start):
            record = row.record
            if record is not None:
                try:
                    publish(record, tracker=batch, ingested_ms=ingested_ms)
                    self.published += 1
                except (BadRecordError, SchemaMismatchError) as exc:
                    origin = FileOrigin(file_name, row.line, row.offset)
                    dead_letter(str(exc), row.raw, origin, record_key=row.key, tracker=batch, connector="file",
                                error_class=type(exc).__name__)
                    self.dead += 1
            else:
                error = row.error
                assert error is not None
                origin = FileOrigin(file_name, row.line, row.offset)
                dead_letter(error.reason, row.raw, origin, field=error.field, record_key=row.key, tracker=batch,
                            connector="file")
                self.dead += 1
            self.rows += 1
            self.offset = row.next_offset
            if self.rows % 1000 == 0:
                publisher.poll(0)
                ingested_ms = time.time_ns() // 1_000_000
                now = time.monotonic()
                if batch.sent >= connector.batch_rows or now - batch_began >= connector.batch_s:
                    self._close_batch(batch)
                    batch, batch_began = DeliveryTracker(), now
                self._settle()
                if now - last_saved >= connector.checkpoint_s and self.acked[0] != self.checkpoint.offset:
                    self.save(finished=False)
                    last_saved = now
                progress.update(self.offset, self.rows, self.dead)
                if stop.is_set():
                    break
        self._close_batch(batch)
        for tracker, _ in self.pending:
            publisher.wait(tracker, f"rows of {self.path.name}")
        self._settle()
        self.save(finished=not stop.is_set())
        progress.update(self.offset, self.rows, self.dead)

    def _close_batch(self, batch: DeliveryTracker) -> None:
        batch.close()
        self.pending.append((batch, (self.offset, self.rows, self.published, self.dead)))

    def _settle(self) -> None:
        """Drop the leading acknowledged batches; the end of the last one is the new safe position."""
        pending = self.pending
        while pending and pending[0][0].settled:
            tracker, position = pending.popleft()
            tracker.raise_for_failures("rows")  # never checkpoint past a row Kafka refused
            self.acked = position

    def save(self, *, finished: bool) -> None:
        """Checkpoint the acknowledged position; `finished` records that the file was read to its end."""
        offset, rows, published, dead = self.acked
        base_rows, base_published, base_dead = self.base
        self.checkpoint = self.checkpoint.model_copy(
            update={
                "offset": offset,
                "scanned_size": self.size_at_start if finished else 0,
                "rows": base_rows + rows,
                "published": base_published + published,
                "dead_letters": base_dead + dead,
                "updated_at": datetime.now(CST),
            }
        )
        self.connector.store.save(self.key, self.checkpoint)
