"""The DB connector: incremental polling of a department table into dept.<source>.v1 / dlq.<source>.v1.

Each poll reads the rows after the watermark ``(update time, key)`` in that order, a batch at a time
(`connectors.db_sources`), maps each row with the same `parse_row` as the other connectors, produces the
batch, waits until Kafka acknowledged all of it (acks=all), and only then stores the batch's last
``(update time, key)`` as the new watermark (`CheckpointStore`, like the file checkpoints). A crash between
produce and watermark re-sends at most that batch, with the same deterministic event ids; a restart goes on
after the stored watermark, so every inserted or updated row is published once in effect.

Known limit of any update-time poller: a row committed later with an update time at or below the watermark
(a long transaction, a clock set back) is not seen; departments should stamp the update time at commit.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from connectors.checkpoints import CheckpointStore
from connectors.db_sources import TableReader, Watermark, open_reader, redact_dsn
from connectors.db_tables import TABLES, row_fields
from connectors.delivery import DeliveryTracker, kafka_cluster_id
from connectors.formats import parse_row
from connectors.sdk import DepartmentPublisher, RequestOrigin
from hub.contract.errors import BadRecordError, SchemaMismatchError
from hub.contract.sources import Source
from hub.contract.timezone import CST
from hub.settings import HubSettings
from hub.wire.registry_client import SchemaRegistry

__all__ = ["DbCheckpoint", "DbConnector", "PollResult"]

logger = logging.getLogger(__name__)


class DbCheckpoint(BaseModel):
    """The watermark of one table, with running counts for operations."""

    source: str
    table: str
    watermark: Watermark | None = None
    rows: int = 0
    published: int = 0
    dead_letters: int = 0
    updated_at: datetime


@dataclass(frozen=True)
class PollResult:
    rows: int
    published: int
    dead_letters: int
    batches: int


class DbConnector:
    """Polls one department table; `poll_once` drains what is new, `run` repeats it every `interval_s`."""

    def __init__(
        self,
        settings: HubSettings,
        source: Source,
        dsn: str,
        table: str,
        *,
        store: CheckpointStore | None = None,
        registry: SchemaRegistry | None = None,
        batch_size: int = 1000,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.source: Source = source
        self.layout = TABLES[source]
        self.dsn = dsn
        self.table = table
        self.store = store or CheckpointStore(settings.connectors.checkpoint_dir(),
                                              cluster=lambda: kafka_cluster_id(settings))
        self.key = f"db:{source}:{redact_dsn(dsn)}:{table}"
        self.batch_size = batch_size
        self.stop = stop or threading.Event()
        self.publisher = DepartmentPublisher(settings, source, registry=registry)
        self._reader: TableReader | None = None

    def _table(self) -> TableReader:
        if self._reader is None:
            self._reader = open_reader(
                self.dsn,
                self.table,
                self.layout.key_column,
                self.layout.updated_column,
                self.settings.request_timeout_s,
            )
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.publisher.close()

    def __enter__(self) -> DbConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def poll_once(self) -> PollResult:
        """Publish every row after the watermark, batch by batch, moving the watermark behind the acks."""
        with self.store.lock(self.key):
            checkpoint = self.store.load(self.key, DbCheckpoint) or DbCheckpoint(
                source=self.source, table=self.table, updated_at=datetime.now(CST)
            )
            rows = published = dead = batches = 0
            while not self.stop.is_set():
                fetched = self._table().fetch_after(checkpoint.watermark, self.batch_size)
                if not fetched:
                    break
                good, bad = self._publish_batch(fetched)
                last = fetched[-1]
                checkpoint = checkpoint.model_copy(
                    update={
                        "watermark": Watermark.of(last[self.layout.updated_column], last[self.layout.key_column]),
                        "rows": checkpoint.rows + len(fetched),
                        "published": checkpoint.published + good,
                        "dead_letters": checkpoint.dead_letters + bad,
                        "updated_at": datetime.now(CST),
                    }
                )
                self.store.save(self.key, checkpoint)
                rows, published, dead, batches = rows + len(fetched), published + good, dead + bad, batches + 1
                if len(fetched) < self.batch_size:
                    break
        if rows:
            logger.info("%s: %d rows → %d published, %d dead letters", self.table, rows, published, dead)
        return PollResult(rows, published, dead, batches)

    def _publish_batch(self, fetched: list[dict[str, Any]]) -> tuple[int, int]:
        """Produce one batch and wait for its acknowledgements; (published, dead letters)."""
        publisher = self.publisher
        tracker = DeliveryTracker()
        batch_id = uuid.uuid4().hex[:12]
        good = bad = 0
        for index, row in enumerate(fetched):
            fields = row_fields(self.layout, row)
            try:
                record = parse_row(self.source, fields)
                publisher.publish(record, tracker=tracker)
                good += 1
            except (BadRecordError, SchemaMismatchError) as exc:
                raw = json.dumps(fields, ensure_ascii=False, default=str).encode("utf-8")
                key = row.get(self.layout.key_column)
                publisher.dead_letter(
                    exc.reason if isinstance(exc, BadRecordError) else str(exc),
                    raw,
                    RequestOrigin(f"db {self.table} batch {batch_id} row {index}"),
                    field=exc.field if isinstance(exc, BadRecordError) else None,
                    record_key=str(key) if key is not None else None,
                    tracker=tracker,
                    connector="db",
                    error_class=type(exc).__name__,
                )
                bad += 1
        publisher.wait(tracker, f"rows of table {self.table}")
        return good, bad

    def run(self, interval_s: float, *, once: bool = False) -> PollResult:
        """Poll until `stop` is set (or once); returns the totals."""
        totals = PollResult(0, 0, 0, 0)
        while True:
            result = self.poll_once()
            totals = PollResult(
                totals.rows + result.rows,
                totals.published + result.published,
                totals.dead_letters + result.dead_letters,
                totals.batches + result.batches,
            )
            if once or self.stop.wait(interval_s):
                return totals
