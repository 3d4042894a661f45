"""The Redis read model and the engine state behind it: key layout, one atomic write per batch, reads.

Layout (prefix `P`, default `hub:`):
  P citizen:<id>          master citizen document (`hub.readmodel.codec`): fields with provenance, linked
                          records (the contract row is read from the fields, `contract_row`)
  P citizens:<bucket>     hash: the live citizen ids (what `hub export masters` dumps), `citizen_bucket`
  P redirect:<old>        survivor of a citizen id retired by a merge
  P idx:idnum:<bucket>    hash: part of the keyed hash of an ID number -> citizens holding it (`index_slot`)
  P idx:phone:<bucket>    the same for phones (keyed as well: phones are personal data)
  P idx:birth:<bucket>    the same for birth dates (keyed: with a name a birth date identifies a person)
  P idx:address:<bucket>  hash: master address id -> its residents (`address_slot`)
  P idx:credit:<code>     organization id of a unified social credit code
  P places:<bucket>       address text -> address id, by a digest of the text (`place_slot`)
  P orgs                  organization key -> organization id
  P engine:records:<b>    source ref -> latest version of the record (`codec.encode_record`), for the engine
                          and the window, in hash buckets by a digest of the ref (`record_bucket`)
  P engine:texts          every address text ever seen (all versions), in chunks (`codec.encode_texts`)
  P engine:orgs           organization key -> mention, every one ever seen (all versions)
  P readmodel:written_at  when the last batch was written (RFC 3339 UTC): how fresh the window's answers are
  P readmodel:format      the stored format (`hub.readmodel.codec.FORMAT`), written with every batch
  P engine:bootstrap      while a bulk bootstrap runs: the offsets it resolves up to (processors/bootstrap.py)

Every write is a set/hash/key assignment or a set add/remove computed from the engine's old and
new state, so applying the same batch twice leaves the same state (at-least-once is safe); only
`readmodel:written_at` moves on, as it should: the data was confirmed as of that time.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from hub.engine.survivorship import Conflict, FieldValue, MasterCitizen
from hub.readmodel.codec import FORMAT, StoredFormatError, decode_document, decode_texts, encode_document, encode_texts


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "hub:"

    def citizen(self, cid: str) -> str:
        return f"{self.prefix}citizen:{cid}"

    @property
    def citizens(self) -> str:
        return f"{self.prefix}citizens"

    def redirect(self, old: str) -> str:
        return f"{self.prefix}redirect:{old}"

    def index(self, kind: str, value: str) -> str:
        return f"{self.prefix}idx:{kind}:{value}"

    @property
    def places(self) -> str:
        return f"{self.prefix}places"

    @property
    def orgs(self) -> str:
        return f"{self.prefix}orgs"

    @property
    def records(self) -> str:
        return f"{self.prefix}engine:records"

    @property
    def texts(self) -> str:
        return f"{self.prefix}engine:texts"

    @property
    def org_mentions(self) -> str:
        return f"{self.prefix}engine:orgs"

    @property
    def written_at(self) -> str:
        return f"{self.prefix}readmodel:written_at"

    @property
    def format(self) -> str:
        return f"{self.prefix}readmodel:format"


def written_at_now() -> str:
    """The value of `RedisKeys.written_at` for a write made now (RFC 3339, UTC, milliseconds)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ReportKeys:
    """Where the service window keeps the counter's reports (多元校核), read by `hub quality report` too."""

    prefix: str = "hub:window:"

    def report(self, report_id: str) -> str:
        return f"{self.prefix}report:{report_id}"

    @property
    def open(self) -> str:
        return f"{self.prefix}reports:open"

    @property
    def unsent(self) -> str:
        return f"{self.prefix}reports:unsent"


#: The keyed-hash indexes (ID number, phone, birth date) live in hash buckets, not a set per value: Redis
#: 7.0 has no compact encoding for a set of strings (a one-member set cost ~230 B a citizen per index),
#: while a hash of up to `hash-max-listpack-entries` (512) short fields is one listpack. `P idx:<kind>:<b>`
#: with b the first `BUCKET_HEX` hex digits of the HMAC holds field = the next 10 bytes of the HMAC
#: (binary) -> the citizen ids, sorted, joined by ','. Still keyed: without the secret no value can be
#: tested against it. Two values collide only if 12 + 80 bits of HMAC-SHA256 agree: for a million
#: values per kind about n^2 / 2^93 = 1e-16.
BUCKET_HEX = 3
_TAGS = {"idnum": "id", "phone": "phone", "birth": "birth"}  # index kind -> HMAC domain tag (unchanged)


@dataclass(frozen=True)
class Slot:
    """Where one value's citizens are: a bucket (hash key) and a field in it."""

    bucket: str
    field: bytes


def index_slot(keys: RedisKeys, secret: bytes, kind: str, value: str) -> Slot:
    """The bucket and field of a personal value in the `kind` index (`idnum`, `phone`, `birth`)."""
    digest = hmac.new(secret, f"{_TAGS[kind]}\x1f{value}".encode(), hashlib.sha256).digest()
    return Slot(keys.index(kind, digest.hex()[:BUCKET_HEX]), digest[2:12])


#: Apply adds and removes to a bucket: ARGV is (op, field, member) triples, op '+' or '-', in order; the
#: field's value stays the sorted, ','-joined member list, and an empty one is deleted.
INDEX_MOVE = """
for i = 1, #ARGV, 3 do
  local op, field, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local ids, present = {}, false
  local cur = redis.call('HGET', KEYS[1], field)
  if cur then
    for id in string.gmatch(cur, '[^,]+') do
      if id == member then present = true end
      if id ~= member or op == '+' then ids[#ids + 1] = id end
    end
  end
  if op == '+' and not present then ids[#ids + 1] = member end
  table.sort(ids)
  if #ids == 0 then redis.call('HDEL', KEYS[1], field)
  else redis.call('HSET', KEYS[1], field, table.concat(ids, ',')) end
end
return 0
"""


#: Set fields of many hash buckets in one command (a batch's records and citizen ids, spread over thousands of
#: buckets: a command per bucket made the bootstrap's Redis writes twice as long). ARGV is (bucket, field,
#: value) triples; `BUCKETS_DEL` deletes (bucket, field) pairs. Bucket keys are not declared: the read model
#: is one Redis, never a cluster (as the window's scripts).
BUCKETS_SET = """
for i = 1, #ARGV, 3 do redis.call('HSET', ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return 0
"""
BUCKETS_DEL = """
for i = 1, #ARGV, 2 do redis.call('HDEL', ARGV[i], ARGV[i + 1]) end
return 0
"""


def set_args(buckets: dict[str, dict[str, bytes]]) -> list[str | bytes]:
    """`BUCKETS_SET`'s arguments: bucket, field, value, in order."""
    return [arg for bucket, fields in buckets.items() for name, value in fields.items()
            for arg in (bucket, name, value)]


def del_args(buckets: dict[str, list[str]]) -> list[str]:
    """`BUCKETS_DEL`'s arguments: bucket, field, in order."""
    return [arg for bucket, fields in buckets.items() for name in fields for arg in (bucket, name)]


def citizen_fields(buckets: dict[str, list[str]]) -> dict[str, dict[str, bytes]]:
    """The bucket fields of live citizen ids (the value is empty)."""
    return {bucket: dict.fromkeys(cids, b"") for bucket, cids in buckets.items()}


def slot_members(value: bytes | str | None) -> list[str]:
    """The citizen ids of a bucket field's value (sorted, as stored)."""
    if not value:
        return []
    text = value.decode() if isinstance(value, bytes) else value
    return text.split(",")


#: `P places:<bucket>` maps an address text to its address id in 8,192 hash buckets (listpacks up to about
#: four million texts; one hash of texts cost 126 B a text): field = 8 bytes of BLAKE2b of the text.
#: Not keyed: an address text is looked up, not hidden (the texts themselves are in `engine:texts`);
#: two texts collide only if 13 + 64 bits agree (n^2 / 2^78: 5e-11 for four million).
PLACE_BUCKET_SHIFT = 3  # 16 - 3 = 13 bits of bucket


def place_slot(keys: RedisKeys, text: str) -> Slot:
    """The bucket and field of an address text in `places`."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=10).digest()
    return Slot(f"{keys.places}:{int.from_bytes(digest[:2], 'big') >> PLACE_BUCKET_SHIFT:04x}", digest[2:])


def place_buckets(keys: RedisKeys, places: dict[str, str]) -> dict[str, dict[bytes, str]]:
    """Address text -> id assignments grouped by bucket (`place_slot`)."""
    found: dict[str, dict[bytes, str]] = {}
    for text, place in places.items():
        slot = place_slot(keys, text)
        found.setdefault(slot.bucket, {})[slot.field] = place
    return found


#: `P engine:records:<bucket>` holds the latest version of each department record in 16,384 hash buckets:
#: a hashtable entry cost about 40 B more than the same entry in a listpack (measured: 247 against
#: 209 B a record at 58 records a bucket). Bucket = the first 14 bits of SHA-1 of the `source/record_id`,
#: as 4 hex digits (the window's Lua script computes the same with `redis.sha1hex`); field = the ref.
#: A bucket stays a listpack while it holds at most `hash-max-listpack-entries` (512) fields, each at most
#: `hash-max-listpack-value` bytes: stored records are up to about 300 B, so the hub's Redis configs set
#: that to 512 (the default 64 still works, with every bucket a hashtable). 512 a bucket is about 2.8
#: million citizens at 3 records each.
RECORD_BUCKET_BITS = 14

#: `P idx:address:<bucket>` holds the residents of each master address in 4,096 hash buckets, as the keyed
#: indexes do (field = the address id, not keyed: an address id is no personal data; value = the sorted
#: citizen ids, ','-joined; `INDEX_MOVE` writes it): Redis 7.0 keeps a set of strings as a hashtable
#: (129 B a citizen in a set per address). Bucket = the first 12 bits of SHA-1 of the address id (the
#: window's Lua script computes the same). About 100 addresses a bucket at a million citizens.
ADDRESS_BUCKET_BITS = 12


def sha1_bucket(prefix: str, text: str, bits: int) -> str:
    """`prefix` and the first `bits` bits of SHA-1 of `text` as 4 hex digits: what the window's Lua script
    computes with `redis.sha1hex` (`hub.window.reader.LOOKUP_AROUND`)."""
    top = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:2], "big") >> (16 - bits)
    return f"{prefix}{top:04x}"


#: `P citizens:<bucket>`: the live citizen ids as fields (value empty) of 4,096 hash buckets by SHA-1 of the
#: id, listpacks up to two million citizens; one set of ids cost 63-76 B a citizen (a hashtable).
CITIZEN_BUCKET_BITS = 12


def citizen_bucket(keys: RedisKeys, cid: str) -> str:
    """The hash bucket that lists a live citizen id."""
    return sha1_bucket(f"{keys.citizens}:", cid, CITIZEN_BUCKET_BITS)


def citizen_buckets(keys: RedisKeys, cids: Sequence[str]) -> dict[str, list[str]]:
    """Citizen ids grouped by bucket (`citizen_bucket`), the buckets and their ids sorted."""
    found: dict[str, list[str]] = {}
    for cid in sorted(cids):
        found.setdefault(citizen_bucket(keys, cid), []).append(cid)
    return dict(sorted(found.items()))


def all_citizen_buckets(keys: RedisKeys) -> list[str]:
    """Every bucket key of the live citizen ids, in order."""
    return [f"{keys.citizens}:{b:04x}" for b in range(1 << CITIZEN_BUCKET_BITS)]


async def live_citizens(redis: Redis, keys: RedisKeys, *, chunk: int = 512) -> list[str]:
    """Every live citizen id, sorted (`chunk` buckets a round trip)."""
    buckets = all_citizen_buckets(keys)
    ids: list[str] = []
    for start in range(0, len(buckets), chunk):
        pipe = redis.pipeline(transaction=False)
        for bucket in buckets[start:start + chunk]:
            pipe.hkeys(bucket)
        for found in await pipe.execute():
            ids.extend(c.decode() if isinstance(c, bytes) else str(c) for c in found)
    return sorted(ids)


def address_slot(keys: RedisKeys, address_id: str) -> Slot:
    """The bucket and field of a master address's residents."""
    return Slot(sha1_bucket(keys.index("address", ""), address_id, ADDRESS_BUCKET_BITS), address_id.encode("utf-8"))


def record_bucket(keys: RedisKeys, ref: str) -> str:
    """The hash bucket of a department record's latest version, by its `source/record_id`."""
    return sha1_bucket(f"{keys.records}:", ref, RECORD_BUCKET_BITS)


def record_buckets(keys: RedisKeys, records: dict[str, bytes]) -> dict[str, dict[str, bytes]]:
    """Stored records grouped by bucket (`record_bucket`), the buckets and their refs sorted."""
    found: dict[str, dict[str, bytes]] = {}
    for ref in sorted(records):
        found.setdefault(record_bucket(keys, ref), {})[ref] = records[ref]
    return dict(sorted(found.items()))


def all_record_buckets(keys: RedisKeys) -> list[str]:
    """Every bucket key of `engine:records`, in order (most are filled once a city has some thousands)."""
    return [f"{keys.records}:{b:04x}" for b in range(1 << RECORD_BUCKET_BITS)]


def index_keys(master: MasterCitizen | None, keys: RedisKeys, secret: bytes) -> set[Slot]:
    """The index slots a master citizen belongs to."""
    if master is None:
        return set()
    found: set[Slot] = set()
    id_number = master.value("id_number")
    if id_number:
        found.add(index_slot(keys, secret, "idnum", str(id_number)))
    phone = master.value("phone")
    if phone:
        found.add(index_slot(keys, secret, "phone", str(phone)))
    birth_date = master.value("birth_date")
    if isinstance(birth_date, date):
        found.add(index_slot(keys, secret, "birth", birth_date.isoformat()))
    address_id = master.value("address_id")
    if address_id:
        found.add(address_slot(keys, str(address_id)))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _field_json(fv: FieldValue) -> dict[str, Any]:
    return {"value": _plain(fv.value), "source": fv.source, "record_id": fv.record_id,
            "updated_at": fv.updated_at.isoformat()}


def master_document(master: MasterCitizen, conflicts: Sequence[Conflict] = ()) -> dict[str, Any]:
    """The read model's citizen document: every surviving field with its provenance, every phone number
    its records show (`contacts`: own or a contact, with its source), and the open
    data-quality conflicts on it (the authoritative value contradicted by another department)."""
    return {
        "citizen_id": master.citizen_id,
        "records": list(master.records),
        "fields": {name: _field_json(fv) for name, fv in sorted(master.fields.items())},
        "contacts": [{"phone": c.phone, "kind": c.kind, "own": c.own, "source": c.source,
                      "record_id": c.record_id, "updated_at": c.updated_at.isoformat()} for c in master.contacts],
        "conflicts": [{"field": c.field, "authoritative": _field_json(c.authoritative),
                       "contradicting": _field_json(c.contradicting)} for c in conflicts],
    }


def encode_master(master: MasterCitizen, conflicts: Sequence[Conflict] = ()) -> bytes:
    """The stored citizen document (`hub.readmodel.codec`) of `master_document`."""
    return encode_document(master_document(master, conflicts))


#: The fields of the `hub resolve --masters` row (`MasterCitizen.contract_row`), in its order.
CONTRACT_FIELDS = ("name", "id_number", "birth_date", "gender", "phone", "address_id", "registered_address_id",
                   "death_date")


def contract_row(doc: dict[str, Any]) -> dict[str, Any]:
    """The `hub resolve --masters` row of a citizen document: its fields' values (dates are stored in
    ISO form already, as the row writes them)."""
    fields = doc.get("fields", {})
    return {"citizen_id": doc["citizen_id"],
            **{name: fields[name]["value"] if name in fields else None for name in CONTRACT_FIELDS}}


@dataclass
class BatchWrite:
    """Everything one engine batch changes in Redis, written in one MULTI/EXEC transaction."""

    records: dict[str, bytes] = field(default_factory=dict)
    texts: set[str] = field(default_factory=set)
    org_mentions: dict[str, bytes] = field(default_factory=dict)
    masters: dict[str, bytes] = field(default_factory=dict)
    index_add: dict[Slot, set[str]] = field(default_factory=dict)  # slot -> citizen ids
    index_remove: dict[Slot, set[str]] = field(default_factory=dict)
    retired: dict[str, str | None] = field(default_factory=dict)  # old id -> survivor
    places: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)
    credit: dict[str, str] = field(default_factory=dict)

    def move(self, cid: str, old: set[Slot], new: set[Slot]) -> None:
        for key in old - new:
            self.index_remove.setdefault(key, set()).add(cid)
        for key in new - old:
            self.index_add.setdefault(key, set()).add(cid)

    def slot_moves(self) -> dict[str, list[bytes | str]]:
        """`INDEX_MOVE`'s arguments per bucket: the removes, then the adds, in a stable order."""
        moves: dict[str, list[bytes | str]] = {}
        for op, entries in (("-", self.index_remove), ("+", self.index_add)):
            for slot in sorted(entries, key=lambda e: (e.bucket, e.field)):
                for cid in sorted(entries[slot]):
                    moves.setdefault(slot.bucket, []).extend((op, slot.field, cid))
        return moves

    def empty(self) -> bool:
        return not any((self.records, self.texts, self.org_mentions, self.masters, self.index_add,
                        self.index_remove, self.retired, self.places, self.orgs, self.credit))


async def write_batch(redis: Redis, keys: RedisKeys, batch: BatchWrite) -> None:
    """Apply a batch atomically (MULTI/EXEC): readers never see half a batch."""
    if batch.empty():
        return
    pipe = redis.pipeline(transaction=True)
    put, drop = redis.register_script(BUCKETS_SET), redis.register_script(BUCKETS_DEL)
    if batch.records:
        await put(args=set_args(record_buckets(keys, batch.records)), client=pipe)
    if batch.texts:
        pipe.hset(keys.texts, mapping=dict([encode_texts(batch.texts)]))
    if batch.org_mentions:
        pipe.hset(keys.org_mentions, mapping=batch.org_mentions)  # type: ignore[arg-type]
    move = redis.register_script(INDEX_MOVE)
    for bucket, args in batch.slot_moves().items():  # removes before adds, as the sets'
        await move(keys=[bucket], args=args, client=pipe)
    # multi-key commands where Redis has them: a reply per command is what a large batch pays for
    if batch.retired:
        retired = sorted(batch.retired)
        pipe.delete(*(keys.citizen(old) for old in retired))
        await drop(args=del_args(citizen_buckets(keys, retired)), client=pipe)
        redirects = {keys.redirect(old): s for old, s in batch.retired.items() if s is not None}
        if redirects:
            pipe.mset(redirects)  # type: ignore[arg-type]
    if batch.masters:
        pipe.mset({keys.citizen(cid): doc for cid, doc in batch.masters.items()})
        pipe.delete(*(keys.redirect(cid) for cid in sorted(batch.masters)))  # a live id is not redirected
        await put(args=set_args(citizen_fields(citizen_buckets(keys, list(batch.masters)))), client=pipe)
    for bucket, mapping in place_buckets(keys, batch.places).items():
        pipe.hset(bucket, mapping=mapping)  # type: ignore[arg-type]
    if batch.orgs:
        pipe.hset(keys.orgs, mapping=batch.orgs)  # type: ignore[arg-type]
    if batch.credit:
        pipe.mset({keys.index("credit", code): oid for code, oid in batch.credit.items()})
    pipe.set(keys.written_at, written_at_now())  # in the transaction: the time and the data move together
    pipe.set(keys.format, FORMAT)
    await pipe.execute()


#: Entries per command and commands per round trip of `write_bulk`: replies stay small, round trips few.
BULK_ENTRIES = 2000
BULK_COMMANDS = 64


def _runs(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def write_bulk(redis: Redis, keys: RedisKeys, batch: BatchWrite, *, entries: int = BULK_ENTRIES,
                     commands: int = BULK_COMMANDS) -> int:
    """Apply a batch too large for one transaction (the bootstrap's whole city): pipelined, chunked,
    not atomic. Returns the number of round trips.

    Order is what makes an interrupted write safe to redo: the read model first, the engine state
    (`engine:records`, `engine:texts`, `engine:orgs`) last. A worker that dies half-way leaves an
    engine state that is a part of what was planned, never one ahead of the read model, and the
    bootstrap that runs again (same offsets, see processors/bootstrap.py) writes everything again.
    Every command is a set/hash assignment or a set add/remove, so writing twice changes nothing.
    """
    pipe = redis.pipeline(transaction=False)
    queued = trips = 0

    async def queue(command: Any, *args: Any, **kwargs: Any) -> None:  # the pipeline is reset by execute
        nonlocal queued, trips
        queuing = command(*args, **kwargs)
        if inspect.isawaitable(queuing) and not isinstance(queuing, Pipeline):  # a script queues when awaited
            await queuing
        queued += 1
        if queued >= commands:
            await pipe.execute()
            trips += 1
            queued = 0

    move, put, drop = (redis.register_script(s) for s in (INDEX_MOVE, BUCKETS_SET, BUCKETS_DEL))
    for bucket, args in batch.slot_moves().items():
        for run in _runs(args, 3 * entries):
            await queue(move, keys=[bucket], args=list(run), client=pipe)
    retired = sorted(batch.retired)
    for run in _runs(retired, entries):
        await queue(pipe.delete, *(keys.citizen(old) for old in run))
    for run in _runs(del_args(citizen_buckets(keys, retired)), 2 * entries):
        await queue(drop, args=list(run), client=pipe)
    redirects = sorted((keys.redirect(old), s) for old, s in batch.retired.items() if s is not None)
    for run in _runs(redirects, entries):
        await queue(pipe.mset, dict(run))
    masters = sorted(batch.masters)
    for run in _runs(masters, entries):
        await queue(pipe.mset, {keys.citizen(cid): batch.masters[cid] for cid in run})
        await queue(pipe.delete, *(keys.redirect(cid) for cid in run))  # a live id is not redirected
    for run in _runs(set_args(citizen_fields(citizen_buckets(keys, masters))), 3 * entries):
        await queue(put, args=list(run), client=pipe)
    for bucket, places in sorted(place_buckets(keys, batch.places).items()):
        await queue(pipe.hset, bucket, mapping=places)
    for run in _runs(sorted(batch.orgs.items()), entries):
        await queue(pipe.hset, keys.orgs, mapping=dict(run))
    for run in _runs(sorted(batch.credit.items()), entries):
        await queue(pipe.mset, {keys.index("credit", code): oid for code, oid in run})
    # the engine state last: never ahead of the read model it was planned with
    for run in _runs(set_args(record_buckets(keys, batch.records)), 3 * entries):
        await queue(put, args=list(run), client=pipe)
    for run in _runs(sorted(batch.org_mentions.items()), entries):
        await queue(pipe.hset, keys.org_mentions, mapping=dict(run))
    for run in _runs(sorted(batch.texts), entries):
        await queue(pipe.hset, keys.texts, mapping=dict([encode_texts(run)]))
    await queue(pipe.set, keys.written_at, written_at_now())
    await queue(pipe.set, keys.format, FORMAT)
    if queued:
        await pipe.execute()
        trips += 1
    return trips


async def scan_hash(redis: Redis, key: str) -> AsyncIterator[tuple[bytes, bytes]]:
    """A large hash in pages (HSCAN), so a restore does not block Redis with one huge reply."""
    async for item in redis.hscan_iter(key, count=2000):
        yield item


async def scan_records(redis: Redis, keys: RedisKeys, *, chunk: int = 512) -> AsyncIterator[tuple[bytes, bytes]]:
    """Every stored record (ref, value) of `engine:records`, bucket by bucket (`chunk` buckets a round trip)."""
    buckets = all_record_buckets(keys)
    for start in range(0, len(buckets), chunk):
        pipe = redis.pipeline(transaction=False)
        for bucket in buckets[start:start + chunk]:
            pipe.hgetall(bucket)
        for found in await pipe.execute():
            for item in found.items():
                yield item


async def stored_texts(redis: Redis, key: str) -> set[str]:
    """Every address text of the chunks in `engine:texts`."""
    texts: set[str] = set()
    async for _, data in scan_hash(redis, key):
        texts.update(decode_texts(data))
    return texts


async def master_rows(redis: Redis, keys: RedisKeys) -> list[dict[str, Any]]:
    """Every live master citizen in the `hub resolve --masters` shape, sorted by citizen id."""
    ids = await live_citizens(redis, keys)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        docs = await redis.mget([keys.citizen(c) for c in chunk])
        for doc in docs:
            if doc is not None:
                rows.append(contract_row(decode_document(doc)))
    return rows


async def check_format(redis: Redis, keys: RedisKeys) -> None:
    """Refuse a read model written in another format (`hub.readmodel.codec`); an empty one is fine."""
    found = await redis.get(keys.format)
    if found is None and not await redis.exists(keys.records, keys.citizens):  # format 2's keys
        return
    if found is None or found.decode() != str(FORMAT):
        shown = "none" if found is None else found.decode(errors="replace")
        raise StoredFormatError(f"the read model under {keys.prefix!r} is in format {shown}, this build reads "
                                f"format {FORMAT}: rebuild it (hub rebuild)")
