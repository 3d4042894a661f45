"""Dead letters: counts by reason, one letter with its personal data masked, and bulk replay with today's readers.

No Kafka tool replays dead letters in bulk (AKHQ#579, kafbat/kafka-ui#1920, redpanda console#232); teams
write scripts. `replay` re-reads each letter's raw bytes with the readers the hub has now (a CSV/JSONL row
of a file through `connectors.formats.read_file`, a pushed or polled row through `parse_row`) and publishes
the rows that now pass to dept.<source>.v1 through the department SDK. Rows that still fail are left where
they are: nothing is written back to the dead-letter topic, so a replay cannot feed itself.

- **Idempotent and exactly once**: a row is identified by the SHA-256 of its raw bytes; once republished
  it is marked in Redis and never republished again, by this run or the next (the same row dead-lettered
  twice is republished once). Its event id is deterministic besides (`hub.wire.events`).
- **Resumable**: marks are written after Kafka acknowledged each batch; a run that dies is run again.
- **Loop-guarded**: a row that was republished and came back (`hub.replay.count` header, or its content
  already replayed `ops.replay_max` times) is not replayed again.
- **Audited**: each run appends who, when, which filter and the counts to a Redis list (`ops:audit`).
- Letters of the processors (Kafka origin: an undecodable event) are reported, not replayed: their raw
  bytes are an Avro event, for the processors to decode after a fix (reset their group instead).
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition
from pydantic import BaseModel
from redis import Redis

from connectors.formats import DIALECTS, parse_row, read_file
from connectors.sdk import DepartmentPublisher
from hub.contract.errors import BadRecordError, SchemaMismatchError
from hub.contract.records import DepartmentRecord
from hub.contract.sources import SOURCES, Source
from hub.contract.timezone import CST
from hub.ops.errors import BadDeadLetterIdError, DeadLetterNotFoundError, ReplayError
from hub.ops.masking import mask_digits, mask_key, mask_text
from hub.ops.probe import partitions_of, topic_ends
from hub.settings import HubSettings
from hub.wire.dead_letters import header_map, replay_count
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import Deserializer
from hub.wire.topics import admin_client

logger = logging.getLogger(__name__)

_LINE = re.compile(r"^line \d+: ")
_NUMBER = re.compile(r"\d+")


def reason_class(reason: str) -> str:
    """A low-cardinality reason for counting and metrics: no line numbers, numbers as N, no detail in brackets."""
    text = _NUMBER.sub("N", _LINE.sub("", reason)).split(" (", 1)[0]
    return text[:80]


class DeadLetter(BaseModel):
    id: str  # <source>:<partition>:<offset>
    source: str
    reason: str
    field: str | None
    record_key: str | None
    raw: bytes
    origin: dict[str, Any]
    failed_at: datetime
    headers: dict[str, str]
    replay_count: int

    @property
    def reason_class(self) -> str:
        return reason_class(self.reason)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def masked(self, encoding: str) -> dict[str, Any]:
        """The letter for a person to read: raw row and key masked, the rest as is."""
        origin = dict(self.origin)
        return {
            "id": self.id, "source": self.source, "reason": mask_digits(self.reason), "field": self.field,
            "record_key": mask_key(self.record_key), "failed_at": self.failed_at.isoformat(),
            "origin": origin, "headers": {k: mask_digits(v) for k, v in self.headers.items()},
            "replay_count": self.replay_count, "raw_masked": mask_text(self.raw.decode(encoding, "replace")),
            "raw_bytes": len(self.raw),
        }


def parse_id(letter_id: str) -> tuple[Source, int, int]:
    try:
        source, partition, offset = letter_id.split(":")
        if source not in SOURCES:
            raise ValueError(source)
        return source, int(partition), int(offset)
    except ValueError:
        raise BadDeadLetterIdError(f"{letter_id!r} is not a dead-letter id <source>:<partition>:<offset>") from None


def _consumer(settings: HubSettings) -> Consumer:
    return Consumer({**settings.kafka_client_config(), "group.id": f"hub-ops-dlq-{uuid.uuid4().hex[:8]}",
                     "enable.auto.commit": False, "enable.partition.eof": False})


def read_letters(settings: HubSettings, source: Source, *, start: dict[int, int] | None = None) -> Iterator[DeadLetter]:
    """Every dead letter of `source` present now (up to the end offsets at the call), in partition order."""
    topic = settings.topics.dlq(source)
    admin = admin_client(settings)
    parts = partitions_of(admin, [topic], settings.request_timeout_s)
    if topic not in parts:
        return
    ends = topic_ends(admin, parts, settings.request_timeout_s)
    wanted = {p: (max((start or {}).get(p, 0), ends.low[(topic, p)]), ends.end[(topic, p)]) for p in parts[topic]}
    wanted = {p: se for p, se in wanted.items() if se[1] > se[0]}
    if not wanted:
        return
    decode = Deserializer(SchemaRegistry.from_settings(settings))
    consumer = _consumer(settings)
    try:
        consumer.assign([TopicPartition(topic, p, s) for p, (s, _) in wanted.items()])
        remaining = {p: e - s for p, (s, e) in wanted.items()}
        idle_until = time.monotonic() + settings.request_timeout_s
        while any(v > 0 for v in remaining.values()) and time.monotonic() < idle_until:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    continue
                p, offset = msg.partition() or 0, msg.offset() or 0
                if p not in wanted or offset >= wanted[p][1]:
                    continue
                remaining[p] -= 1
                idle_until = time.monotonic() + settings.request_timeout_s
                value = decode(msg.value())
                headers = msg.headers()
                yield DeadLetter(
                    id=f"{source}:{p}:{offset}", source=source, reason=value["reason"], field=value.get("field"),
                    record_key=value.get("record_key"), raw=value["raw"], origin=dict(value["origin"]),
                    failed_at=_aware(value["failed_at"]), headers=header_map(headers),
                    replay_count=replay_count(headers))
    finally:
        consumer.close()


def _aware(value: datetime | int) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, CST)
    return value if value.tzinfo else value.replace(tzinfo=CST)


class ReasonCount(BaseModel):
    reason: str
    count: int


class LetterSummary(BaseModel):
    id: str
    failed_at: datetime
    reason: str
    field: str | None


class LetterPage(BaseModel):
    source: str
    total: int
    by_reason: list[ReasonCount]
    page: int
    letters: list[LetterSummary]


def list_letters(settings: HubSettings, source: Source, *, page: int = 1, size: int = 20) -> LetterPage:
    """Counts by reason class (most first) and one page of letters (newest topic order last)."""
    counts: Counter[str] = Counter()
    letters: list[LetterSummary] = []
    first = (page - 1) * size
    total = 0
    for letter in read_letters(settings, source):
        counts[letter.reason_class] += 1
        if first <= total < first + size:
            letters.append(LetterSummary(id=letter.id, failed_at=letter.failed_at,
                                         reason=letter.reason_class, field=letter.field))
        total += 1
    by_reason = [ReasonCount(reason=r, count=n) for r, n in counts.most_common()]
    return LetterPage(source=source, total=total, by_reason=by_reason, page=page, letters=letters)


def show_letter(settings: HubSettings, letter_id: str, redis: Redis | None = None) -> dict[str, Any]:
    """One dead letter, masked; the read is audited."""
    source, partition, offset = parse_id(letter_id)
    for letter in read_letters(settings, source, start={partition: offset}):
        if letter.id == letter_id:
            _audit(settings, redis, {"action": "dlq.show", "id": letter_id})
            return letter.masked(DIALECTS[source].encoding)
        if letter.id.split(":")[1] == str(partition):
            break
    raise DeadLetterNotFoundError(f"no dead letter {letter_id} in {settings.topics.dlq(source)}")


# -- replay ---------------------------------------------------------------------------------------------


class ReplayResult(BaseModel):
    run_id: str
    source: str
    dry_run: bool
    scanned: int = 0
    matched: int = 0
    republished: int = 0
    would_republish: int = 0
    still_bad: int = 0
    already_replayed: int = 0
    loop_guarded: int = 0
    not_replayable: int = 0
    still_bad_reasons: dict[str, int] = {}


def reread(letter: DeadLetter, workdir: Path) -> DepartmentRecord:
    """The letter's row read with today's readers; BadRecordError (or SchemaMismatchError) when it still fails."""
    source: Source = letter.source  # type: ignore[assignment]
    dialect = DIALECTS[source]
    if "request_id" in letter.origin:  # a pushed or polled row: a JSON object of the department's fields
        try:
            fields = orjson.loads(letter.raw)
        except orjson.JSONDecodeError:
            raise BadRecordError("pushed row is not valid JSON") from None
        if not isinstance(fields, dict):
            raise BadRecordError("pushed row is not a JSON object")
        return parse_row(source, fields)
    if "path" not in letter.origin:
        raise _NotReplayable("an undecodable event of the processors (Kafka origin)")
    path = workdir / f"{dialect.prefix}_replay{dialect.suffix}"
    head = _header(Path(str(letter.origin["path"])), dialect.encoding, ",".join(dialect.columns)) if dialect.is_csv \
        else b""
    path.write_bytes(head + letter.raw + b"\n")
    rows = list(read_file(path, source))
    if len(rows) != 1:
        raise BadRecordError(f"the raw bytes read as {len(rows)} rows, not one")
    row = rows[0]
    if row.record is None:
        assert row.error is not None
        raise row.error
    return row.record


def _header(original: Path, encoding: str, columns: str) -> bytes:
    """The original file's header line when the file is still there, else the dialect's own column order."""
    try:
        with original.open("rb") as fh:
            first = fh.readline(1 << 20)
        if first.endswith(b"\n"):
            return first
    except OSError:
        pass
    return columns.encode(encoding) + b"\n"


class _NotReplayable(Exception):
    pass


def replay(settings: HubSettings, source: Source, *, reason: str | None = None, since: datetime | None = None,
           dry_run: bool = False, redis: Redis | None = None, batch: int = 500) -> ReplayResult:
    """Republish the dead letters of `source` that today's readers accept (see the module docstring)."""
    redis = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    prefix = f"{settings.processors.redis_prefix}ops:dlq:{source}:"
    done_key, count_key = prefix + "republished", prefix + "replays"
    result = ReplayResult(run_id=uuid.uuid4().hex[:12], source=source, dry_run=dry_run)
    publisher = None if dry_run else DepartmentPublisher(settings, source)
    pending: dict[str, str] = {}  # content digest -> letter id, published but not yet marked
    seen: set[str] = set()  # digests met in this run (a dry run marks nothing)
    left: Counter[str] = Counter()

    def settle() -> None:
        if publisher is None or not pending:
            return
        publisher.flush()  # DeliveryError: nothing of this batch is marked, a re-run publishes it again
        pipe = redis.pipeline(transaction=False)
        for digest, letter_id in pending.items():
            pipe.hset(done_key, digest, letter_id)
            pipe.hincrby(count_key, digest, 1)
        pipe.execute()
        pending.clear()

    try:
        with tempfile.TemporaryDirectory(prefix="hub-replay-") as tmp:
            for letter in read_letters(settings, source):
                result.scanned += 1
                if reason is not None and reason not in letter.reason:
                    continue
                if since is not None and letter.failed_at < since:
                    continue
                result.matched += 1
                digest = letter.digest
                if digest in seen or redis.hexists(done_key, digest):
                    result.already_replayed += 1
                    continue
                seen.add(digest)
                if letter.replay_count >= settings.ops.replay_max or \
                        int(redis.hget(count_key, digest) or 0) >= settings.ops.replay_max:
                    result.loop_guarded += 1
                    continue
                try:
                    record = reread(letter, Path(tmp))
                except _NotReplayable:
                    result.not_replayable += 1
                    continue
                except (BadRecordError, SchemaMismatchError) as exc:
                    result.still_bad += 1
                    left[reason_class(str(exc))] += 1
                    continue
                if publisher is None:
                    result.would_republish += 1
                    continue
                try:
                    publisher.publish(record)
                except (BadRecordError, SchemaMismatchError) as exc:
                    result.still_bad += 1
                    left[reason_class(str(exc))] += 1
                    continue
                pending[digest] = letter.id
                result.republished += 1
                if len(pending) >= batch:
                    settle()
            settle()
    finally:
        if publisher is not None:
            publisher.close()
    result.still_bad_reasons = dict(left.most_common())
    _audit(settings, redis, {"action": "dlq.replay", "filter": {"reason": reason,
                                                                "since": since.isoformat() if since else None},
                             **result.model_dump()})
    return result


def _audit(settings: HubSettings, redis: Redis | None, entry: dict[str, Any]) -> None:
    """Append who did what to the ops audit list (kept for a year's worth of entries)."""
    redis = redis or Redis.from_url(settings.redis_url, socket_timeout=settings.request_timeout_s)
    record = {"at": datetime.now(CST).isoformat(), "user": getpass.getuser(), **entry}
    key = f"{settings.processors.redis_prefix}ops:audit"
    try:
        redis.rpush(key, orjson.dumps(record))
        redis.ltrim(key, -100_000, -1)
    except Exception as exc:
        raise ReplayError(f"cannot write the ops audit to Redis: {type(exc).__name__}") from None


def audit_entries(settings: HubSettings, redis: Redis, last: int = 50) -> list[dict[str, Any]]:
    key = f"{settings.processors.redis_prefix}ops:audit"
    return [orjson.loads(x) for x in redis.lrange(key, -last, -1)]
