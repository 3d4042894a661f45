"""Tamper-evident audit of every window request that touches personal data (过程审计, 责任认定).

Why a hash chain: the audit is the evidence when a resident asks who looked at their data, so an
operator with write access to the log must not be able to remove, alter or reorder an entry
unnoticed. Each event carries the hash of the previous event of its chain and its own hash over
everything else; `verify_chain` recomputes them. A chain belongs to one writer process (`chain`,
`seq` from 0), so several `hub serve` workers never contend for one head; the heads can be
anchored elsewhere (`heads` of `verify_chain`) to detect a truncated tail as well.

Why a spool: while Kafka is down the window keeps answering, so the events go to a local file,
appended and fsynced before the answer leaves; they are forwarded in order, ahead of any newer
event, once the sink takes them again. If an event can be written nowhere the read is refused
(AuditUnavailableError, fail closed): an unaudited disclosure is worse than a refused one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError

from hub.contract.errors import HubError
from hub.window.problems import AuditUnavailableError

GENESIS: Final = "0" * 64
Outcome = Literal["answered", "not_found", "refused", "error"]


class AuditEvent(BaseModel):
    """What one request did: who, for which purpose and case, what was asked, what was disclosed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    request_id: str
    occurred_at: datetime
    city_code: str
    credential_id: str | None = None
    hall: str | None = None
    operator: str | None = None
    purpose: str | None = None
    case_id: str | None = None
    method: str
    path: str
    lookup: str
    query: dict[str, str] = Field(default_factory=dict)  # IDs and phones masked
    citizens: list[str] = Field(default_factory=list)
    disclosed: dict[str, dict[str, str]] = Field(default_factory=dict)  # citizen id -> field -> mode
    outcome: Outcome
    status: int
    reason: str | None = None


class _Memo:
    """What sealing computed: the event's JSON fields exactly as hashed (with `hash`) and their canonical
    bytes, kept for the sink and the spool so neither dumps the model again. It takes no part in
    equality: a sealed event equals its copy read back from the spool."""

    __slots__ = ("canonical", "fields")

    def __init__(self, fields: dict[str, Any], canonical: bytes) -> None:
        self.fields = fields
        self.canonical = canonical

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, _Memo)

    __hash__ = object.__hash__


class SealedEvent(AuditEvent):
    """An event placed in its chain."""

    chain: str
    seq: int
    prev_hash: str
    hash: str
    _memo: _Memo | None = PrivateAttr(default=None)

    def json_fields(self) -> dict[str, Any]:
        """The event as JSON values (what its hash covers, plus `hash`); do not modify."""
        memo = self._memo
        return memo.fields if memo is not None else self.model_dump(mode="json")

    def sealed_json(self) -> bytes:
        """The event's canonical JSON: the one form stored and verified."""
        memo = self._memo
        return memo.canonical if memo is not None else canonical_json(self.model_dump(mode="json"))


class AuditSinkError(HubError):
    """The audit sink (Kafka) did not take an event."""


class AuditSink(Protocol):
    """Where sealed events go first (audit.access.v1); raises on failure, returns once durable."""

    async def send(self, events: Sequence[SealedEvent]) -> None: ...


def canonical_json(fields: dict[str, Any]) -> bytes:
    """The one byte form of an event that its hash covers: sorted keys, UTC as Z."""
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over every field of a sealed event but `hash`, in canonical JSON."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    try:
        return hashlib.sha256(canonical_json(body)).hexdigest()
    except TypeError:  # a value JSON cannot hold (an altered entry): it matches no hash
        return ""


#: The fields of an event as JSON values, every one of `AuditEvent`'s (what `event_json` builds).
EventJson = dict[str, Any]
_EVENT_FIELDS: Final = frozenset(AuditEvent.model_fields)
_DATETIME: Final = TypeAdapter(datetime)


def event_json(**fields: Any) -> EventJson:
    """An event as `AuditEvent(**fields).model_dump(mode="json")` would write it, without building the
    model (a model built, then dumped, was 5 % of an ID lookup's samples): every field given, the
    time written by pydantic's own serializer. `seal` validates it; ValueError on a missing field."""
    if fields.keys() != _EVENT_FIELDS:
        raise ValueError(f"audit event fields missing or unknown: {sorted(fields.keys() ^ _EVENT_FIELDS)}")
    fields["occurred_at"] = _DATETIME.dump_python(fields["occurred_at"], mode="json")
    return fields


def seal(event: AuditEvent | EventJson, chain: str, seq: int, prev_hash: str) -> SealedEvent:
    """The event placed after `prev_hash` in `chain`, validated, its JSON kept (`_Memo`)."""
    fields = event.model_dump(mode="json") if isinstance(event, AuditEvent) else dict(event)
    fields.update(chain=chain, seq=seq, prev_hash=prev_hash)
    fields["hash"] = hashlib.sha256(canonical_json(fields)).hexdigest()  # = event_hash(fields)
    sealed = SealedEvent.model_validate(fields)
    sealed._memo = _Memo(fields, canonical_json(fields))
    return sealed


class VerifyReport(BaseModel):
    ok: bool
    events: int
    chains: dict[str, int]  # chain -> events seen
    problems: list[str]


def verify_chain(rows: Iterable[dict[str, Any]], heads: dict[str, tuple[int, str]] | None = None) -> VerifyReport:
    """Check events in stored order: each hash right, each chain's seq contiguous from 0, each
    prev_hash the hash before it; with `heads` (chain -> last seq and hash anchored elsewhere),
    also that no chain lost its tail."""
    problems: list[str] = []
    last: dict[str, tuple[int, str]] = {}
    count = 0
    for index, row in enumerate(rows):
        count += 1
        chain, seq, prev = row.get("chain"), row.get("seq"), row.get("prev_hash")
        if not isinstance(chain, str) or not isinstance(seq, int) or not isinstance(prev, str):
            problems.append(f"entry {index}: not a sealed audit event")
            continue
        if row.get("hash") != event_hash(row):
            problems.append(f"entry {index} ({chain}#{seq}): content does not match its hash (altered)")
        expected_seq, expected_prev = (last[chain][0] + 1, last[chain][1]) if chain in last else (0, GENESIS)
        if seq != expected_seq:
            problems.append(f"entry {index} ({chain}#{seq}): expected #{expected_seq} (removed or reordered)")
        if prev != expected_prev:
            problems.append(f"entry {index} ({chain}#{seq}): previous hash does not match (removed or reordered)")
        last[chain] = (seq, str(row.get("hash")))
    for chain, (seq, digest) in (heads or {}).items():
        seen = last.get(chain)
        if seen is None or seen[0] < seq:
            problems.append(f"chain {chain}: ends before its anchored head #{seq} (tail removed)")
        elif seen[0] == seq and seen[1] != digest:
            problems.append(f"chain {chain}: head #{seq} differs from its anchor")
    return VerifyReport(ok=not problems, events=count, chains={c: s + 1 for c, (s, _) in last.items()},
                        problems=problems)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Sealed events of a JSON-lines file (the spool, or an export of audit.access.v1)."""
    rows: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    value = {}
                rows.append(value if isinstance(value, dict) else {})
    return rows


class Spool:
    """An append-only JSON-lines file, each append fsynced: the events Kafka has not taken yet.

    Forwarded in bounded chunks, in order: after Kafka acknowledged a chunk, the byte offset where the
    unsent events start is written (fsynced) to `<spool>.sent`, so a long outage's spool is not one
    send that keeps missing its timeout, and a chunk once taken is not sent again. The mark is reset
    before the spool is emptied: a crash in between sends events twice, never skips one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mark = path.with_name(path.name + ".sent")

    def append(self, events: Sequence[SealedEvent]) -> None:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(e.sealed_json() + b"\n" for e in events)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:  # the file's directory entry must be durable too
            _fsync_dir(self.path.parent)

    def sent_offset(self) -> int:
        """Where the events not yet forwarded start (0 when unknown: sending twice beats skipping)."""
        try:
            offset = int(self.mark.read_text().strip() or 0)
            size = self.path.stat().st_size
        except (OSError, ValueError):
            return 0
        return offset if 0 <= offset <= size else 0

    def pending_rows(self) -> list[dict[str, Any]]:
        """The events not yet forwarded, as stored (what `hub audit verify` adds to the topic's)."""
        return [row for row, _ in self._pending_lines()]

    def _pending_lines(self) -> list[tuple[dict[str, Any], int]]:
        """Each pending event's row with the byte offset just after its line."""
        out: list[tuple[dict[str, Any], int]] = []
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return out
        with handle:
            position = self.sent_offset()
            handle.seek(position)
            for line in handle:
                position += len(line)
                if line.strip():
                    try:
                        value = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        value = {}
                    out.append((value if isinstance(value, dict) else {}, position))
        return out

    def pending(self) -> list[SealedEvent]:
        return [event for chunk, _ in self.pending_chunks(2**62) for event in chunk]

    def pending_chunks(self, size: int) -> list[tuple[list[SealedEvent], int]]:
        """The pending events in order, `size` at a time, each chunk with the offset just after it."""
        lines = self._pending_lines()
        try:
            events = [SealedEvent.model_validate(row) for row, _ in lines]
        except ValidationError as exc:
            raise AuditSinkError(f"audit spool {self.path} holds an unreadable event") from exc
        return [(events[i:i + size], lines[min(i + size, len(lines)) - 1][1]) for i in range(0, len(events), size)]

    def mark_sent(self, offset: int) -> None:
        """Record durably that every event before byte `offset` was forwarded."""
        temp = self.mark.with_name(self.mark.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, str(offset).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, self.mark)
        _fsync_dir(self.mark.parent)

    def has_pending(self) -> bool:
        """Checked before every batch: a stat, and the mark read only when the spool holds something."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return False
        return size > 0 and size > self.sent_offset()

    def clear(self) -> None:
        """After every pending event was forwarded: start empty (durably), the mark reset first."""
        self.mark_sent(0)
        fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def new_chain_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


class AuditLog:
    """Seals events into this process's chain and writes them to the sink, else to the spool.

    Group commit: a request seals its event at once (the chain's order is the order requests ask)
    and waits until the batch holding it is durable — acknowledged by Kafka or fsynced to the
    spool — so concurrent requests share one round trip instead of queueing for one each. A batch
    that can be written nowhere fails with every event sealed after it (they hash over it), and the
    chain steps back to its last durable event: the read is refused, and no gap is left in the
    chain. After the sink fails it is skipped for `retry_s` (events go straight to the spool, so a
    dead broker does not add its timeout to every read), then tried again, spool first.
    With no sink (Kafka not wired), the spool is the audit store and `hub audit verify` reads it.
    """

    def __init__(self, spool: Spool, sink: AuditSink | None = None, *, chain: str | None = None,
                 timeout_s: float = 2.0, retry_s: float = 5.0, forward_chunk: int = 1000) -> None:
        self.spool = spool
        self.forward_chunk = forward_chunk
        self.sink = sink
        self.chain = chain or new_chain_id()
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self.seq = 0
        self.head = GENESIS
        self._durable = (0, GENESIS)
        self._queue: list[tuple[SealedEvent, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._io = asyncio.Lock()
        self._sink_down_until = 0.0

    async def record(self, event: AuditEvent | EventJson) -> SealedEvent:
        """Seal and durably write one event; AuditUnavailableError when it could be written nowhere."""
        sealed = seal(event, self.chain, self.seq, self.head)
        self.seq, self.head = sealed.seq + 1, sealed.hash
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((sealed, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queue())
        await written
        return sealed

    async def _write_queue(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            events = [sealed for sealed, _ in batch]
            async with self._io:
                error = await self._write(events)
            if error is None:
                self._durable = (events[-1].seq + 1, events[-1].hash)
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)
                continue
            failed, self._queue = batch + self._queue, []
            self.seq, self.head = self._durable
            for _, written in failed:
                if not written.done():
                    written.set_exception(error)

    async def _write(self, events: list[SealedEvent]) -> AuditUnavailableError | None:
        if await self._to_sink(events):
            return None
        try:
            await asyncio.to_thread(self.spool.append, events)
        except OSError:
            return AuditUnavailableError("the audit event could not be written; the read is refused")
        return None

    async def _to_sink(self, events: list[SealedEvent]) -> bool:
        """Forward the spool (in order) and then `events`; False if the sink did not take them."""
        loop = asyncio.get_running_loop()
        if self.sink is None or loop.time() < self._sink_down_until:
            return False
        try:
            await self._forward_spool(self.sink)
            await asyncio.wait_for(self.sink.send(events), self.timeout_s)
            return True
        except (HubError, OSError, TimeoutError):
            self._sink_down_until = loop.time() + self.retry_s
            return False

    async def _forward_spool(self, sink: AuditSink) -> int:
        """Send the spool's pending events in order, `forward_chunk` at a time, each chunk within the
        timeout and marked sent once acknowledged; empty the spool at the end. How many went."""
        if not self.spool.has_pending():
            return 0
        sent = 0
        for chunk, end in await asyncio.to_thread(self.spool.pending_chunks, self.forward_chunk):
            await asyncio.wait_for(sink.send(chunk), self.timeout_s)
            await asyncio.to_thread(self.spool.mark_sent, end)
            sent += len(chunk)
        await asyncio.to_thread(self.spool.clear)
        return sent

    async def close(self) -> int:
        """At shutdown: wait for the batch being written, then forward the spool; how many went."""
        writer = self._writer
        if writer is not None and not writer.done():
            await writer  # failures are handed to the requests' futures, the writer itself does not raise
        return await self.flush()

    async def flush(self) -> int:
        """Forward the spool now (e.g. when Kafka is back, or at shutdown); how many went."""
        async with self._io:
            if self.sink is None or not self.spool.has_pending():
                return 0
            try:
                sent = await self._forward_spool(self.sink)
            except (HubError, OSError, TimeoutError):
                return 0
            self._sink_down_until = 0.0
            return sent


def now_utc() -> datetime:
    return datetime.now(UTC)
