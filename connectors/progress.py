"""Progress of a connector run: a progress bar on a terminal, plain log lines otherwise.

Only file names, byte counts and row counts are shown: never a row's content, so no ID number or phone
reaches a terminal or a log.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Protocol

__all__ = ["LogProgress", "NullProgress", "Progress", "RichProgress", "progress_for_terminal"]

logger = logging.getLogger(__name__)


class Progress(Protocol):
    def start(self, label: str, total_bytes: int, done_bytes: int) -> None: ...

    def update(self, done_bytes: int, rows: int, dead_letters: int) -> None: ...

    def finish(self, summary: str) -> None: ...


class NullProgress:
    def start(self, label: str, total_bytes: int, done_bytes: int) -> None:
        pass

    def update(self, done_bytes: int, rows: int, dead_letters: int) -> None:
        pass

    def finish(self, summary: str) -> None:
        pass


class LogProgress:
    """One log line per `every_s` seconds and one at the end (for services, pipes and CI logs)."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._label = ""
        self._total = 0
        self._last = 0.0

    def start(self, label: str, total_bytes: int, done_bytes: int) -> None:
        self._label, self._total, self._last = label, total_bytes, time.monotonic()
        resumed = f", resuming at byte {done_bytes}" if done_bytes else ""
        logger.info("%s: %d bytes to read%s", label, total_bytes - done_bytes, resumed)

    def update(self, done_bytes: int, rows: int, dead_letters: int) -> None:
        now = time.monotonic()
        if now - self._last < self.every_s:
            return
        self._last = now
        share = f" ({100 * done_bytes / self._total:.0f}%)" if self._total else ""
        logger.info("%s: %d rows, %d dead letters, byte %d%s", self._label, rows, dead_letters, done_bytes, share)

    def finish(self, summary: str) -> None:
        logger.info("%s", summary)


class RichProgress:
    """A rich progress bar per file (rich comes with typer), on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]} rows, {task.fields[dead]} dead letters"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task: object | None = None

    def start(self, label: str, total_bytes: int, done_bytes: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(label, total=total_bytes, completed=done_bytes, rows=0, dead=0)

    def update(self, done_bytes: int, rows: int, dead_letters: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=done_bytes, rows=rows, dead=dead_letters)  # type: ignore[arg-type]

    def finish(self, summary: str) -> None:
        self._progress.stop()
        self._progress.console.print(summary)
        self._task = None


def progress_for_terminal() -> Progress:
    """A progress bar when stderr is a terminal, log lines otherwise."""
    return RichProgress() if sys.stderr.isatty() else LogProgress()
