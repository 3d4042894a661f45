"""`hub connect file|db`: run the file and DB connectors from the command line.

SIGINT and SIGTERM stop a run cleanly: what was produced is waited for and checkpointed, so the next run
goes on from there. Exit status 0 when every file could be read (bad rows are dead letters, not errors),
1 when a file could not be read at all or Kafka did not acknowledge.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from connectors.checkpoints import CheckpointStore
from connectors.db_connector import DbConnector
from connectors.db_tables import TABLES
from connectors.delivery import kafka_cluster_id
from connectors.file_connector import FileConnector
from connectors.file_watch import watch
from connectors.progress import progress_for_terminal
from hub.contract.errors import HubError, SettingsError, SourceReadError
from hub.contract.sources import SOURCES, Source
from hub.settings import HubSettings, load_settings

__all__ = ["connect_app", "register"]

logger = logging.getLogger(__name__)

connect_app = typer.Typer(no_args_is_help=True, help="Connectors: department files and tables into Kafka.")


def _logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpx2").setLevel(logging.WARNING)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("signal %d: finishing the current batch, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def _source(value: str, *, allow_auto: bool) -> Source | None:
    if allow_auto and value == "auto":
        return None
    if value not in SOURCES:
        choices = ", ".join(("auto", *SOURCES) if allow_auto else SOURCES)
        raise SettingsError(f"unknown department {value!r}; expected one of {choices}")
    return value  # narrowed by the check against SOURCES


@connect_app.command("file")
def connect_file(
    source: Annotated[str, typer.Argument(help="Department (civil_affairs, health, hrss, tax, commerce) or `auto`.")],
    paths: Annotated[list[Path] | None, typer.Argument(help="Export files to publish.")] = None,
    watch_dir: Annotated[Path | None, typer.Option("--watch", help="Also poll this drop folder for new files.")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls of the drop folder.")] = 5.0,
    state_dir: Annotated[Path | None, typer.Option(help="Checkpoint folder (default: connectors.state_dir).")] = None,
    checkpoint_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between checkpoints within a file (bounds re-sent rows).")
    ] = 1.0,
) -> None:
    """Publish department export files: good rows to dept.<source>.v1, bad rows to dlq.<source>.v1."""
    _logging()
    if not paths and watch_dir is None:
        raise SettingsError("give export files to publish, or a drop folder with --watch")
    settings = load_settings()
    department = _source(source, allow_auto=True)
    stop = _stop_on_signals()
    store = _checkpoints(settings, state_dir)
    unreadable = 0
    with FileConnector(
        settings, store=store, progress=progress_for_terminal(), stop=stop, checkpoint_s=checkpoint_interval
    ) as connector:
        for path in paths or []:
            try:
                result = connector.process(path, department)
            except SourceReadError as exc:
                logger.error("%s", exc)
                unreadable += 1
                continue
            if result.skipped:
                logger.info("%s", result.summary())
            if stop.is_set():
                break
        if watch_dir is not None and not stop.is_set():
            watch(connector, watch_dir, department, interval_s=interval)
    _say_voided(store)
    if unreadable:
        raise typer.Exit(code=1)


@connect_app.command("db")
def connect_db(
    source: Annotated[str, typer.Argument(help="Department whose table this is.")],
    dsn: Annotated[str, typer.Option(help="postgresql://user:pw@host:port/db or mysql://user:pw@host:port/db.")],
    table: Annotated[str, typer.Option(help="Table (or schema.table) with the department's export columns.")],
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 30.0,
    once: Annotated[bool, typer.Option("--once", help="Poll once (until caught up) and exit.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per batch (one acknowledgement wait each).")] = 1000,
    state_dir: Annotated[Path | None, typer.Option(help="Watermark folder (default: connectors.state_dir).")] = None,
) -> None:
    """Poll a department table by (update time, key) and publish new and changed rows."""
    _logging()
    settings = load_settings()
    department = _source(source, allow_auto=False)
    assert department is not None
    stop = _stop_on_signals()
    store = _checkpoints(settings, state_dir)
    layout = TABLES[department]
    logger.info("polling %s by (%s, %s)", table, layout.updated_column, layout.key_column)
    with DbConnector(settings, department, dsn, table, store=store, batch_size=batch_size, stop=stop) as connector:
        totals = connector.run(interval, once=once)
    _say_voided(store)
    print(
        f"{table}: {totals.rows} rows → {totals.published} published, {totals.dead_letters} dead letters",
        file=sys.stderr,
    )


def _checkpoints(settings: HubSettings, state_dir: Path | None) -> CheckpointStore:
    """Connector positions, bound to the Kafka cluster they are written against."""
    folder = state_dir or settings.connectors.checkpoint_dir()
    return CheckpointStore(folder, cluster=lambda: kafka_cluster_id(settings))


def _say_voided(store: CheckpointStore) -> None:
    if store.voided:
        print(f"{len(store.voided)} saved position(s) belonged to another Kafka cluster and were void: "
              "those inputs were read from their start", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.add_typer(connect_app, name="connect")


def main() -> None:
    """`python -m hub.cli.connect file|db ...`: the same commands without the rest of the `hub` CLI."""
    try:
        connect_app()
    except HubError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
