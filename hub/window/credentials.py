"""Credentials of halls and department readers: random keys shown once, stored only as hashes.

Why hashed: a copy of Redis must not let anyone read as a hall. A key is 256 random bits, so a
plain SHA-256 of it cannot be reversed or guessed; the key itself is printed once by `create` /
`rotate` and never stored. A credential names a jurisdiction (the whole city, districts, or
streets as `<district code>/<street name>`: the read model knows streets by name), its purposes
and an expiry; `revoke` and `rotate` take effect on the next request in the process that made them and
within `cache_s` (`HUB_WINDOW__CREDENTIAL_CACHE_S`, 5 s by default) in every `hub serve` worker: each
keeps the credential of a key it has seen for that long, so a hall's lookup does not cost two Redis
round trips and a JSON parse before anything else (bench/window.py). Expiry is checked every time.
With `lean` (the read model's auto-pipelined connection, `hub.window.resp`), those reads once a
`cache_s` go through it, not redis-py (1.7 % of a lookup's samples with 64 halls, bench/window.py).

Redis layout (prefix `W`, default `hub:window:`):
  W cred:<id>         credential JSON (no key, only its hash)
  W credkey:<sha256>  id of the credential holding that key
  W creds             set of credential ids
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from hub.window.problems import CredentialInvalidError, CredentialMissingError, CredentialStoreError
from hub.window.purposes import PurposePolicy
from hub.window.resp import RespConnection

KEY_PREFIX: Final = "hk_"
_KEY_RE: Final = re.compile(r"hk_[A-Za-z0-9_-]{20,100}")
_STREET_RE: Final = re.compile(r"(\d{6})/([\u4e00-\u9fff]{1,20}(?:街道|镇|乡))")


class Credential(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    jurisdiction: tuple[str, ...]
    purposes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    key_hash: str = ""

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def public(self) -> dict[str, object]:
        """What `list` shows: everything but the key hash."""
        return self.model_dump(mode="json", exclude={"key_hash"})


class IssuedKey(BaseModel):
    """The answer of create/rotate: the credential and its key, shown this once."""

    credential: Credential
    key: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def check_jurisdiction(codes: Iterable[str], city_code: str) -> tuple[str, ...]:
    """Normalised jurisdiction codes: the city, districts of it, or `<district>/<street>`."""
    out: list[str] = []
    for raw in codes:
        code = raw.strip()
        if not code:
            continue
        street = _STREET_RE.fullmatch(code)
        district = street.group(1) if street else code
        if not (len(district) == 6 and district.isdigit() and district[:4] == city_code[:4]):
            raise CredentialStoreError(f"jurisdiction {code!r} is not this city ({city_code}), one of its "
                                       "districts, or <district code>/<street name>")
        out.append(code)
    if not out:
        raise CredentialStoreError("a credential needs a jurisdiction (the city code for the whole city)")
    return tuple(sorted(set(out)))


#: writes a credential's new state where it outlives Redis (hub.window.credential_journal)
Journal = Callable[[Credential], Awaitable[None]]


class CredentialStore:
    """Credentials in Redis; with a `journal`, every change is written there first (the command fails
    when it cannot be), so Redis can be restored from it."""

    def __init__(self, redis: Redis, prefix: str, city_code: str, policy: PurposePolicy, *,
                 cache_s: float = 0.0, journal: Journal | None = None, lean: RespConnection | None = None) -> None:
        self.redis = redis
        self.lean = lean
        self.journal = journal
        self.prefix = prefix
        self.city_code = city_code
        self.policy = policy
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, Credential]] = {}  # key hash -> (monotonic time read, credential)

    def _cred(self, cid: str) -> str:
        return f"{self.prefix}cred:{cid}"

    def _by_key(self, key_hash: str) -> str:
        return f"{self.prefix}credkey:{key_hash}"

    @property
    def _all(self) -> str:
        return f"{self.prefix}creds"

    def _check_purposes(self, purposes: Iterable[str]) -> tuple[str, ...]:
        chosen = tuple(sorted({p.strip() for p in purposes if p.strip()}))
        unknown = [p for p in chosen if self.policy.get(p) is None]
        if unknown or not chosen:
            raise CredentialStoreError(f"purposes must be among {', '.join(self.policy.names())}")
        return chosen

    async def create(self, name: str, jurisdiction: Iterable[str], purposes: Iterable[str], *,
                     days: int = 365, now: datetime | None = None) -> IssuedKey:
        name = name.strip()
        if not name or len(name) > 100:
            raise CredentialStoreError("a credential needs a name of 1 to 100 characters")
        if not 1 <= days <= 3660:
            raise CredentialStoreError("expiry must be 1 to 3660 days")
        at = now or datetime.now(UTC)
        key = new_key()
        cred = Credential(id="cred-" + secrets.token_hex(6), name=name,
                          jurisdiction=check_jurisdiction(jurisdiction, self.city_code),
                          purposes=self._check_purposes(purposes), created_at=at,
                          expires_at=at + timedelta(days=days), key_hash=hash_key(key))
        await self._journal(cred)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._cred(cred.id), cred.model_dump_json())
        pipe.set(self._by_key(cred.key_hash), cred.id)
        pipe.sadd(self._all, cred.id)
        await pipe.execute()
        return IssuedKey(credential=cred, key=key)

    async def get(self, cid: str) -> Credential:
        doc = await self.redis.get(self._cred(cid))
        if doc is None:
            raise CredentialStoreError(f"no credential {cid}")
        return Credential.model_validate_json(doc)

    async def rotate(self, cid: str) -> IssuedKey:
        """A new key for the same credential; the old key stops working at once."""
        cred = await self.get(cid)
        if cred.revoked_at is not None:
            raise CredentialStoreError(f"credential {cid} is revoked")
        key = new_key()
        fresh = cred.model_copy(update={"key_hash": hash_key(key)})
        await self._journal(fresh)
        self._cache.pop(cred.key_hash, None)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._by_key(cred.key_hash))
        pipe.set(self._by_key(fresh.key_hash), cid)
        pipe.set(self._cred(cid), fresh.model_dump_json())
        await pipe.execute()
        return IssuedKey(credential=fresh, key=key)

    async def revoke(self, cid: str, *, now: datetime | None = None) -> Credential:
        cred = await self.get(cid)
        done = cred.model_copy(update={"revoked_at": cred.revoked_at or now or datetime.now(UTC)})
        await self._journal(done)
        self._cache.pop(cred.key_hash, None)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._by_key(cred.key_hash))
        pipe.set(self._cred(cid), done.model_dump_json())
        await pipe.execute()
        return done

    async def _journal(self, credential: Credential) -> None:
        if self.journal is not None:
            await self.journal(credential)

    async def put(self, credential: Credential) -> None:
        """Store a credential's state as it is (a restore from the journal): its key works unless it is
        revoked, and a key it held before in this Redis stops working."""
        old = await self.redis.get(self._cred(credential.id))
        pipe = self.redis.pipeline(transaction=True)
        if old is not None:
            previous = Credential.model_validate_json(old)
            if previous.key_hash != credential.key_hash or credential.revoked_at is not None:
                pipe.delete(self._by_key(previous.key_hash))
        pipe.set(self._cred(credential.id), credential.model_dump_json())
        if credential.revoked_at is None:
            pipe.set(self._by_key(credential.key_hash), credential.id)
        else:
            pipe.delete(self._by_key(credential.key_hash))
        pipe.sadd(self._all, credential.id)
        await pipe.execute()
        self._cache.pop(credential.key_hash, None)

    async def list_all(self) -> list[Credential]:
        ids = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in await self.redis.smembers(self._all))
        if not ids:
            return []
        docs = await self.redis.mget([self._cred(i) for i in ids])
        return [Credential.model_validate_json(d) for d in docs if d is not None]

    async def authenticate(self, authorization: str | None, *, now: datetime | None = None) -> Credential:
        """The active credential of an `Authorization: Bearer <key>` header, or 401."""
        if not authorization:
            raise CredentialMissingError("send Authorization: Bearer <key>")
        scheme, _, key = authorization.strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise CredentialMissingError("send Authorization: Bearer <key>")
        if not _KEY_RE.fullmatch(key):
            raise CredentialInvalidError("the key is not valid")
        key_hash = hash_key(key)
        cred = self._cached(key_hash)
        if cred is None:
            cred = await self._read(key_hash)
        if not cred.active(now or datetime.now(UTC)):
            raise CredentialInvalidError("the key is not valid")
        return cred

    def _cached(self, key_hash: str) -> Credential | None:
        if self.cache_s <= 0:
            return None
        hit = self._cache.get(key_hash)
        if hit is None or time.monotonic() - hit[0] >= self.cache_s:
            return None
        return hit[1]

    async def _get(self, key: str) -> bytes | str | None:
        """GET through `lean` when given (same reply, same redis-py exception types), else redis-py."""
        if self.lean is not None:
            found: bytes | None = await self.lean.call("GET", key)
            return found
        got: bytes | str | None = await self.redis.get(key)
        return got

    async def _read(self, key_hash: str) -> Credential:
        cid = await self._get(self._by_key(key_hash))
        if cid is None:
            raise CredentialInvalidError("the key is not valid")
        doc = await self._get(self._cred(cid.decode() if isinstance(cid, bytes) else str(cid)))
        if doc is None:
            raise CredentialInvalidError("the key is not valid")
        cred = Credential.model_validate_json(doc)
        if cred.key_hash != key_hash:  # a stale key mapping (rotated, restored): never the credential's key
            raise CredentialInvalidError("the key is not valid")
        if self.cache_s > 0:
            if len(self._cache) >= 10_000:  # a bound, not an LRU: halls number in the hundreds
                self._cache.clear()
            self._cache[key_hash] = (time.monotonic(), cred)
        return cred
