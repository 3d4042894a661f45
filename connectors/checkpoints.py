"""Durable connector positions: small JSON files in a local folder, replaced atomically and fsynced.

Why a local file rather than Redis: the file connector runs on the exchange host next to the files it
reads, and its position must survive exactly what the files survive; an fsynced file needs no service
and no Redis persistence setting (AOF every second may lose the last second). The DB connector keeps its
watermark the same way. Losing a checkpoint is safe anyway (rows are re-sent with the same event ids),
only slower.

A checkpoint is written only after Kafka acknowledged every message before the position it records; a
write is `tmp file → fsync → rename → fsync folder`, so a crash leaves the old or the new one, never a
torn one. `lock` takes an exclusive flock per input so that two connector processes never work on the same
file or table at once (the second one is told, not blocked).

A position belongs to the Kafka cluster it was written against, as Kafka Connect's source offsets live in
their cluster: each checkpoint records the cluster id, and one written against another cluster (the local
one wiped and started anew, a move to another cluster) or before checkpoints named their cluster is void —
the connector says so and reads the input from its start, so nothing is silently missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from hub.contract.errors import CheckpointError

__all__ = ["CheckpointStore"]

logger = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


class CheckpointStore:
    """Typed positions by key (e.g. ``file:/abs/path``), one JSON file each under `directory`.

    `cluster` names the Kafka cluster the positions belong to (asked once, when first needed); without
    it positions are not bound to a cluster (tests of the store alone).
    """

    def __init__(self, directory: Path, cluster: Callable[[], str] | None = None) -> None:
        self.directory = directory
        self._cluster = cluster
        self._cluster_id: str | None = None
        self.voided: list[str] = []  # inputs whose position belonged to another cluster, this run

    def cluster_id(self) -> str | None:
        if self._cluster_id is None and self._cluster is not None:
            self._cluster_id = self._cluster()
        return self._cluster_id

    def _path(self, key: str, suffix: str = ".json") -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.directory / f"{digest}{suffix}"

    def load(self, key: str, model: type[ModelT]) -> ModelT | None:
        """The stored position, or None when there is none; CheckpointError when it cannot be read."""
        path = self._path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
            if data.get("key") != key:
                raise CheckpointError(f"checkpoint {path} belongs to another input")
            position = model.model_validate(data["position"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            raise CheckpointError(
                f"checkpoint {path} is not a valid {model.__name__}; remove it to start over"
            ) from None
        cluster = self.cluster_id()
        if cluster is not None and data.get("cluster") != cluster:
            written = data.get("cluster") or "an unnamed cluster"
            logger.warning("%s: the saved position was written against Kafka cluster %s, not this one (%s): "
                           "void, reading the input from its start", key, written, cluster)
            self.voided.append(key)
            return None
        return position

    def save(self, key: str, position: BaseModel) -> None:
        """Replace the stored position atomically and durably."""
        path = self._path(key)
        text = json.dumps({"key": key, "cluster": self.cluster_id(), "position": position.model_dump(mode="json")},
                          ensure_ascii=False)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise CheckpointError(f"cannot write checkpoint {path}: {exc.strerror}") from None

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the input's lock for the block; CheckpointError at once if another process holds it."""
        path = self._path(key, ".lock")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CheckpointError(f"cannot open lock {path}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CheckpointError(f"another connector is working on {key} (lock {path})") from None
            yield
        finally:
            os.close(fd)
