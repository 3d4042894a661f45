"""One request through the window: admit (credential, rate, purpose, case, grant), answer, audit.

Why a context manager around every route: the audit must see every request that touches personal
data whatever happens (answered, refused, not found, failed), and an answered read must not leave
unless its audit event was written (fail closed). `Window.access` admits the caller, yields the
request's `Access` (where the route notes what it disclosed), and writes exactly one audit event
on the way out; for an answered read a failed audit write turns the answer into a 503.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import unquote

from fastapi import Request
from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.engine.policy import AuthorityPolicy
from hub.window.audit import AuditLog, Outcome, event_json
from hub.window.config import WindowSettings
from hub.window.credentials import Credential, CredentialStore
from hub.window.disclosure import Extras, Shown, in_jurisdiction, residence_ref, residence_text_of
from hub.window.grants import Grant, verify_grant
from hub.window.ids import random_hex
from hub.window.masking import log_safe
from hub.window.problems import (
    AuditUnavailableError,
    CaseIdInvalidError,
    CaseIdMissingError,
    GrantInvalidError,
    GrantRequiredError,
    InvalidQueryError,
    PurposeNotAllowedError,
    PurposeUnknownError,
    ReadModelUnavailableError,
    WindowError,
)
from hub.window.purposes import Mode, Purpose, PurposePolicy
from hub.window.ratelimit import RateLimiter
from hub.window.reader import Around, ReadModel
from hub.window.reports import Reports
from hub.window.tracker import Tracker

logger = logging.getLogger("hub.window")

_TOKEN_RE: Final = re.compile(r"[\w\-./:#]{1,64}")
_REQUEST_ID_RE: Final = re.compile(r"[A-Za-z0-9\-_.]{1,64}")


def header_text(raw: str | None) -> str | None:
    """A header value as the caller meant it: raw UTF-8 (read by HTTP as Latin-1) or percent-encoded."""
    if raw is None:
        return None
    # try/except, not contextlib.suppress: this runs for several headers of every request
    value = raw.strip()
    if not value.isascii():
        value = _as_utf8(value)
    return _unquoted(value) if "%" in value else value


def _as_utf8(value: str) -> str:
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


@lru_cache(maxsize=1024)  # a hall sends the same few percent-encoded purposes: urllib's unquote was 1.5 % of a lookup
def _unquoted(value: str) -> str:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        return value


@dataclass
class Headers:
    authorization: str | None = None
    purpose: str | None = None
    case_id: str | None = None
    grant: str | None = None
    operator: str | None = None
    request_id: str | None = None


@dataclass
class Access:
    """One admitted request: who asks, for what, and what the route disclosed."""

    request_id: str
    at: datetime
    method: str
    path: str
    lookup: str
    query: dict[str, str]
    credential: Credential | None = None
    purpose: Purpose | None = None
    case_id: str | None = None
    operator: str | None = None
    grant: Grant | None = None
    shown: Shown = field(default_factory=Shown)
    citizens: list[str] = field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def admitted_purpose(self) -> Purpose:
        assert self.purpose is not None  # set by Window.access before the route runs
        return self.purpose

    @property
    def admitted_credential(self) -> Credential:
        assert self.credential is not None
        return self.credential

    def granted(self, cid: str, redirected_from: str | None = None) -> bool:
        """Whether the resident's grant (if the purpose needs one) covers this citizen."""
        if self.purpose is None or not self.purpose.grant:
            return True
        return self.grant is not None and self.grant.citizen_id in (cid, redirected_from)


class Window:
    """Everything a window request needs, built once per app by `hub.window.app.mount`."""

    def __init__(self, *, redis: Redis, reader: ReadModel, credentials: CredentialStore, policy: PurposePolicy,
                 audit: AuditLog, tracker: Tracker, reports: Reports, limiter: RateLimiter,
                 settings: WindowSettings, city_code: str, authority: AuthorityPolicy) -> None:
        self.redis = redis
        self.reader = reader
        self.credentials = credentials
        self.policy = policy
        self.audit = audit
        self.tracker = tracker
        self.reports = reports
        self.limiter = limiter
        self.settings = settings
        self.city_code = city_code
        self.authority = authority
        self.grant_key = settings.grant_key.get_secret_value().encode("utf-8")

    @asynccontextmanager
    async def access(self, request: Request, headers: Headers, lookup: str,
                     query: dict[str, str | None]) -> AsyncIterator[Access]:
        # hub.api.context.RequestContext has chosen it (the caller's if sane); the window alone: here
        # read from the ASGI scope itself: `request.state` and `request.url` build objects on every request
        scope = request.scope
        state = scope.setdefault("state", {})
        request_id = state.get("request_id") or (
            headers.request_id if headers.request_id and _REQUEST_ID_RE.fullmatch(headers.request_id)
            else random_hex())
        state["request_id"] = request_id
        acc = Access(request_id=request_id, at=datetime.now(UTC), method=scope["method"],
                     path=(scope.get("root_path", "") + scope["path"])[:200], lookup=lookup,
                     query={k: (log_safe(k, v) or "")[:80] for k, v in query.items() if v is not None})
        try:
            try:
                await self._admit(acc, headers)
                yield acc
            except (RedisError, OSError) as exc:
                raise ReadModelUnavailableError("the read model (Redis) did not answer") from exc
        except WindowError as exc:
            await self._audit(acc, exc.outcome, exc.status, exc.slug, answered=False)  # type: ignore[arg-type]
            raise
        except Exception:
            await self._audit(acc, "error", 500, "internal-error", answered=False)
            raise
        await self._audit(acc, acc.outcome or "answered", 200, None, answered=True)

    async def _admit(self, acc: Access, headers: Headers) -> None:
        acc.credential = await self.credentials.authenticate(headers.authorization)
        self.limiter.take(acc.credential.id)
        purpose_name = header_text(headers.purpose)
        if not purpose_name:
            raise PurposeUnknownError("send X-Purpose: one of " + ", ".join(self.policy.names()))
        purpose = self.policy.get(purpose_name)
        if purpose is None:
            raise PurposeUnknownError("X-Purpose must be one of " + ", ".join(self.policy.names()))
        acc.purpose = purpose
        if purpose.name not in acc.credential.purposes:
            raise PurposeNotAllowedError(f"this credential may not read for {purpose.name}")
        case_id = header_text(headers.case_id)
        if not case_id:
            raise CaseIdMissingError("send X-Case-Id: the case (事项/受理编号) this read serves")
        if not _TOKEN_RE.fullmatch(case_id):
            raise CaseIdInvalidError("X-Case-Id must be 1 to 64 letters, digits or - . / : # _")
        acc.case_id = case_id
        operator = header_text(headers.operator)
        if operator:
            if not _TOKEN_RE.fullmatch(operator):
                raise InvalidQueryError("X-Operator-Id must be 1 to 64 letters, digits or - . / : # _")
            acc.operator = operator
        if purpose.grant:
            if not headers.grant:
                raise GrantRequiredError(f"{purpose.name} needs the resident's authorisation: "
                                         "send X-Resident-Grant (扫码授权)")
            grant = verify_grant(self.grant_key, headers.grant.strip(), max_ttl_s=self.settings.grant_max_ttl_s)
            if grant.purpose != purpose.name:
                raise GrantInvalidError("the resident grant was given for another purpose")
            acc.grant = grant

    async def _audit(self, acc: Access, outcome: Outcome, status: int, reason: str | None, *,
                     answered: bool) -> None:
        cred = acc.credential
        # as JSON, not a model: `seal` validates the sealed event (every field of this one) before it is written
        event = event_json(
            event_id=random_hex(), request_id=acc.request_id, occurred_at=acc.at, city_code=self.city_code,
            credential_id=cred.id if cred else None, hall=cred.name if cred else None, operator=acc.operator,
            purpose=acc.purpose.name if acc.purpose else None, case_id=acc.case_id, method=acc.method,
            path=acc.path, lookup=acc.lookup, query=dict(acc.query),
            citizens=sorted(set(acc.citizens) | set(acc.shown.fields)),
            disclosed={c: dict(m) for c, m in acc.shown.fields.items()} if answered else {}, outcome=outcome,
            status=status, reason=reason,
        )
        try:
            await self.audit.record(event)
        except AuditUnavailableError:
            if answered:
                raise
            logger.error("audit event of a refused request could not be written (request %s)", acc.request_id)
            return
        if answered and acc.shown.fields:
            try:
                await self.tracker.record(acc.at, event["hall"], event["purpose"], acc.shown.fields)
            except ReadModelUnavailableError:
                logger.error("disclosure tracker not updated for request %s (audit has it)", acc.request_id)

    async def extras(self, doc: dict[str, Any], purpose: Purpose, fetched: Around | None = None) -> Extras:
        """Residence text, employer name and household documents a view of `doc` needs.

        `fetched`: what the ID lookup's script already read for `doc`; used when it is what these rules
        ask for (the script fetches by what the document names, the rules are here), else read again."""
        out = Extras()
        ref = residence_ref(doc)
        employer = doc.get("fields", {}).get("employer_id", {})
        employer_ref = None
        if isinstance(employer.get("value"), str) and purpose.mode("employer") is not Mode.HIDDEN:
            # the name as the record that gave the employer wrote it (HRSS or tax: employer_name)
            source, record_id = employer.get("source"), employer.get("record_id")
            employer_ref = f"{source}/{record_id}" if source and record_id else None
        address = doc.get("fields", {}).get("address_id", {}).get("value")
        address_id = address if isinstance(address, str) and purpose.mode("household") is not Mode.HIDDEN else None
        if (fetched is not None and fetched.doc is doc and ref in (None, fetched.residence_ref)
                and employer_ref in (None, fetched.employer_ref) and address_id in (None, fetched.household_at)):
            residence = fetched.residence if ref is not None else None
            employer_record = fetched.employer if employer_ref is not None else None
            household = fetched.household if address_id is not None else []
        else:
            residence, employer_record, household = await self.reader.around(ref, employer_ref, address_id,
                                                                             str(doc.get("citizen_id")))
        if ref is not None:
            out.residence_text = residence_text_of(residence)
        if employer_record is not None:
            out.employer_name = employer_record.get("employer_name") or employer_record.get("business_name")
        out.household = household
        return out

    def visible(self, acc: Access, doc: dict[str, Any], extras: Extras, redirected_from: str | None = None) -> bool:
        """Whether this caller may see this citizen at all (jurisdiction or 通办; the resident's grant)."""
        purpose, cred = acc.admitted_purpose, acc.admitted_credential
        cid = str(doc.get("citizen_id"))
        if not acc.granted(cid, redirected_from):
            return False
        return purpose.city_wide or in_jurisdiction(cred, self.city_code, doc, extras.residence_text)
