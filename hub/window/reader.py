"""Reads of the Redis read model the processors write (`hub.readmodel.store`): nothing else.

Why its own module: the window must keep answering while Kafka, the registry or the processors
are down, so every read goes to Redis through these few calls and nowhere else; a Redis failure
becomes one specific error (503), never a 500.

The birth-date index (`P idx:birth:<bucket>`, keyed hash like the ID and phone indexes, for name +
birth date searches) is written by the processors (`hub.readmodel.store.index_keys`);
`build_birth_index` backfills it from the citizen documents of a read model written before it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.readmodel.codec import FORMAT, StoredFormatError, decode_document, decode_record
from hub.readmodel.store import (
    ADDRESS_BUCKET_BITS,
    INDEX_MOVE,
    RECORD_BUCKET_BITS,
    RedisKeys,
    Slot,
    address_slot,
    index_slot,
    live_citizens,
    record_bucket,
    slot_members,
)
from hub.window.problems import ReadModelUnavailableError
from hub.window.resp import RespConnection

T = TypeVar("T")
MAX_REDIRECTS: Final = 8
HOUSEHOLD_MAX: Final = 50

#: The residents of an address (field ARGV[3] of the bucket KEYS[1], `hub.readmodel.store.address_slot`:
#: sorted ids joined by ',') and the documents of the first ARGV[2] of them, in one round trip (a
#: household, in `around`). ARGV[1] the citizen key prefix. Reads only; the document keys are not
#: declared because the read model is one Redis, never a cluster.
_MEMBERS_AND_DOCS: Final = """
local ids = {}
for id in string.gmatch(redis.call('HGET', KEYS[1], ARGV[3]) or '', '[^,]+') do ids[#ids + 1] = id end
local out = {}
for i, id in ipairs(ids) do
  out[#out + 1] = id
  if i <= tonumber(ARGV[2]) then out[#out + 1] = redis.call('GET', ARGV[1] .. id) else out[#out + 1] = false end
end
return out
"""


#: An ID lookup in one round trip: the citizens of an index slot (field ARGV[8] of the bucket KEYS[1],
#: `hub.readmodel.store.index_slot`: sorted ids joined by ','; the first ARGV[4]) with their
#: documents and, per document, what its view needs: the department record its residence came from
#: (`fields.address_id`'s source/record_id in its bucket ARGV[2] .. `record_bucket`'s suffix, computed here
#: with `redis.sha1hex`), its employer's record
#: (`fields.employer_id`'s, when ARGV[6] is 1) and its household (the residents of `fields.address_id.value`
#: in its bucket of the address index ARGV[3] .. suffix, `address_slot`; the first ARGV[5] with their
#: documents, when ARGV[7] is 1); it reads those from the document's head line (`hub.readmodel.codec`: the
#: body is deflated). It fetches by what the document names and decides nothing: `Window.extras` applies
#: the rules and checks the script fetched what they ask for (else it reads with `around`). Per citizen the
#: reply holds id, document, residence ref, residence record, employer ref, employer record, household
#: address and the household as id/document pairs (false where absent). Reads only, one Redis.
LOOKUP_AROUND: Final = """
local function bucket(prefix, text, shift)
  return prefix .. string.format('%04x', math.floor(tonumber(string.sub(redis.sha1hex(text), 1, 4), 16) / shift))
end
local function record(ref)
  return redis.call('HGET', bucket(ARGV[2], ref, RECORD_SHIFT), ref)
end
local function members_and_docs(at, limit)
  local ids = {}
  for id in string.gmatch(redis.call('HGET', bucket(ARGV[3], at, ADDRESS_SHIFT), at) or '', '[^,]+') do
    ids[#ids + 1] = id
  end
  local out = {}
  for i, id in ipairs(ids) do
    out[#out + 1] = id
    if i <= limit then out[#out + 1] = redis.call('GET', ARGV[1] .. id) else out[#out + 1] = false end
  end
  return out
end
local ids = {}
for id in string.gmatch(redis.call('HGET', KEYS[1], ARGV[8]) or '', '[^,]+') do ids[#ids + 1] = id end
local out = {}
for i, id in ipairs(ids) do
  if i > tonumber(ARGV[4]) then break end
  local raw = redis.call('GET', ARGV[1] .. id)
  if raw then
    -- the document's head line (hub.readmodel.codec): what this script needs from it
    local eol = string.byte(raw, 1) == FORMAT and string.find(raw, '\\n', 2, true)
    if not eol then return redis.error_reply('citizen document not in format FORMAT: rebuild the read model') end
    local head = cjson.decode(string.sub(raw, 2, eol - 1))
    local residence_ref = head['ar'] or false
    local employer_ref = false
    if ARGV[6] == '1' and head['er'] then employer_ref = head['er'] end
    local household_at, household = false, false
    if ARGV[7] == '1' and head['a'] then
      household_at = head['a']
      household = members_and_docs(household_at, tonumber(ARGV[5]))
    end
    out[#out + 1] = {id, raw,
      residence_ref, residence_ref and record(residence_ref),
      employer_ref, employer_ref and record(employer_ref),
      household_at, household}
  end
end
return out
""".replace("RECORD_SHIFT", str(1 << (16 - RECORD_BUCKET_BITS))).replace(
    "ADDRESS_SHIFT", str(1 << (16 - ADDRESS_BUCKET_BITS))).replace("FORMAT", str(FORMAT))


@dataclass(frozen=True)
class Around:
    """What the one-round-trip ID lookup fetched for one citizen's view (`ReadModel.by_id_number_around`)."""

    doc: dict[str, Any]
    residence_ref: str | None
    residence: dict[str, Any] | None
    employer_ref: str | None
    employer: dict[str, Any] | None
    household_at: str | None
    household: list[dict[str, Any]]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _doc(raw: bytes) -> dict[str, Any]:
    """A stored citizen document decoded (`hub.readmodel.codec`); another format is a 503, never a misread."""
    try:
        return decode_document(raw)
    except StoredFormatError as exc:
        raise ReadModelUnavailableError(str(exc)) from None


def _record(ref: bytes | str, raw: bytes) -> dict[str, Any]:
    """A stored department record decoded, by its `source/record_id`."""
    try:
        return decode_record(_text(ref), raw)
    except StoredFormatError as exc:
        raise ReadModelUnavailableError(str(exc)) from None


async def guarded(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except (RedisError, OSError) as exc:
        raise ReadModelUnavailableError("the read model (Redis) did not answer") from exc


class ReadModel:
    def __init__(self, redis: Redis, keys: RedisKeys, secret: bytes) -> None:
        self.redis = redis
        self.keys = keys
        self.secret = secret
        self._members_and_docs = redis.register_script(_MEMBERS_AND_DOCS)
        self._lookup_around = redis.register_script(LOOKUP_AROUND)
        # the ID lookup's script on a lean auto-pipelined connection (hub.window.resp); redis-py where the
        # client's address is not plain TCP
        self._lean = RespConnection.like(redis.connection_pool.connection_kwargs)
        self._lookup_sha = self._lean.script(LOOKUP_AROUND) if self._lean is not None else ""

    @staticmethod
    def _pairs(reply: list[Any]) -> list[tuple[str, dict[str, Any] | None]]:
        return [(_text(reply[i]), _doc(reply[i + 1]) if reply[i + 1] else None)
                for i in range(0, len(reply), 2)]

    def id_lookup_call(self, id_number: str, *, employer: bool, household: bool
                       ) -> tuple[list[str], list[str | int | bytes]]:
        """KEYS and ARGV of `LOOKUP_AROUND` for an ID (bench/window.py makes the same call without the API)."""
        slot = index_slot(self.keys, self.secret, "idnum", id_number)
        return [slot.bucket], [self.keys.citizen(""), f"{self.keys.records}:", self.keys.index("address", ""), 1000,
                               HOUSEHOLD_MAX + 1, int(employer), int(household), slot.field]

    async def by_id_number_around(self, id_number: str, *, employer: bool, household: bool) -> list[Around]:
        """The citizens holding a resident ID with what their views need, in one round trip (`LOOKUP_AROUND`):
        an ID lookup was two (the documents, then `around`) and a pipeline per citizen (bench/window.py)."""
        keys, args = self.id_lookup_call(id_number, employer=employer, household=household)
        lean = self._lean
        if lean is not None:  # as `guarded` does, without its lambda and coroutine on the hot path
            try:
                reply = await lean.evalsha(self._lookup_sha, keys, args)
            except (RedisError, OSError) as exc:
                raise ReadModelUnavailableError("the read model (Redis) did not answer") from exc
        else:
            reply = await guarded(lambda: self._lookup_around(keys=keys, args=args))
        found: list[Around] = []
        for cid, raw, res_ref, res, emp_ref, emp, at, members in reply:
            others = [doc for mid, doc in self._pairs(members or []) if mid != _text(cid)]
            found.append(Around(
                doc=_doc(raw), residence_ref=_text(res_ref) if res_ref else None,
                residence=_record(res_ref, res) if res else None, employer_ref=_text(emp_ref) if emp_ref else None,
                employer=_record(emp_ref, emp) if emp else None, household_at=_text(at) if at else None,
                household=[doc for doc in others[:HOUSEHOLD_MAX] if doc is not None]))
        return found

    @property
    def lean(self) -> RespConnection | None:
        """The auto-pipelined connection of the ID lookup (None where the URL is not plain TCP)."""
        return self._lean

    def close(self) -> None:
        """Close the lean connection (the redis-py client is its owner's to close)."""
        if self._lean is not None:
            self._lean.close()

    async def citizen(self, cid: str) -> tuple[dict[str, Any] | None, str | None]:
        """The citizen document of `cid`, following redirects of ids retired by a merge.

        Returns (document, the id asked for when it was redirected)."""
        current, redirected = cid, None
        for _ in range(MAX_REDIRECTS):
            doc = await guarded(lambda c=current: self.redis.get(self.keys.citizen(c)))  # type: ignore[misc]
            if doc is not None:
                return _doc(doc), redirected
            survivor = await guarded(lambda c=current: self.redis.get(self.keys.redirect(c)))  # type: ignore[misc]
            if survivor is None:
                return None, None
            redirected, current = cid, _text(survivor)
        return None, None

    async def citizens(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        docs = await guarded(lambda: self.redis.mget([self.keys.citizen(c) for c in ids]))
        return [_doc(d) for d in docs if d is not None]

    async def _slot(self, slot: Slot) -> list[str]:
        return slot_members(await guarded(lambda: self.redis.hget(slot.bucket, slot.field)))

    async def by_id_number(self, id_number: str) -> list[str]:
        return await self._slot(index_slot(self.keys, self.secret, "idnum", id_number))

    async def by_phone(self, digits: str) -> list[str]:
        return await self._slot(index_slot(self.keys, self.secret, "phone", digits))

    async def by_birth_date(self, iso: str) -> list[str]:
        return await self._slot(index_slot(self.keys, self.secret, "birth", iso))

    async def residents(self, address_id: str) -> list[str]:
        return await self._slot(address_slot(self.keys, address_id))

    async def record(self, ref: str) -> dict[str, Any] | None:
        """A department record (latest version) the engine keeps, by `source/record_id`."""
        data = await guarded(lambda: self.redis.hget(record_bucket(self.keys, ref), ref))
        return _record(ref, data) if data is not None else None

    async def around(self, residence_ref: str | None, employer_ref: str | None, address_id: str | None,
                     citizen_id: str | None = None
                     ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
        """What a citizen's view needs besides the document, in one round trip (a pipeline, no
        transaction): the record the residence came from, the employer's record, and the other
        residents of the address (the household, by citizen id, at most `HOUSEHOLD_MAX`) with
        their documents. One round trip instead of four."""
        if residence_ref is None and employer_ref is None and address_id is None:
            return None, None, []
        pipe = self.redis.pipeline(transaction=False)
        if residence_ref is not None:
            pipe.hget(record_bucket(self.keys, residence_ref), residence_ref)
        if employer_ref is not None:
            pipe.hget(record_bucket(self.keys, employer_ref), employer_ref)
        if address_id is not None:
            slot = address_slot(self.keys, address_id)
            await self._members_and_docs(keys=[slot.bucket], client=pipe,
                                         args=[self.keys.citizen(""), HOUSEHOLD_MAX + 1, slot.field])
        replies = list(await guarded(pipe.execute))
        residence = replies.pop(0) if residence_ref is not None else None
        employer = replies.pop(0) if employer_ref is not None else None
        household: list[dict[str, Any]] = []
        if address_id is not None:
            others = [doc for cid, doc in self._pairs(replies.pop(0)) if cid != citizen_id]
            household = [doc for doc in others[:HOUSEHOLD_MAX] if doc is not None]
        return (_record(residence_ref, residence) if residence_ref is not None and residence is not None else None,
                _record(employer_ref, employer) if employer_ref is not None and employer is not None else None,
                household)

    async def organization_id(self, credit_code: str) -> str | None:
        found = await guarded(lambda: self.redis.get(self.keys.index("credit", credit_code)))
        return _text(found) if found is not None else None


async def build_birth_index(redis: Redis, keys: RedisKeys, secret: bytes, *, chunk: int = 1000) -> int:
    """Backfill `idx:birth` from every live citizen document; how many citizens were indexed."""
    ids = await live_citizens(redis, keys)
    move = redis.register_script(INDEX_MOVE)
    done = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        docs = await redis.mget([keys.citizen(c) for c in part])
        pipe = redis.pipeline(transaction=False)
        for cid, doc in zip(part, docs, strict=True):
            if doc is None:
                continue
            born = decode_document(doc).get("fields", {}).get("birth_date", {}).get("value")
            if isinstance(born, str):
                slot = index_slot(keys, secret, "birth", born)
                await move(keys=[slot.bucket], args=["+", slot.field, cid], client=pipe)
                done += 1
        await pipe.execute()
    return done
