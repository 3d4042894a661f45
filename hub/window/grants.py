"""Resident grants (扫码授权): short-lived signed permission for one citizen and one purpose.

Why signed tokens and not a table: the resident's app (today `hub grants issue` stands in for it)
and the window share only a key; a grant travels in `X-Resident-Grant` and is checked without a
lookup, so an outage of anything but the window cannot block it. A grant names the citizen id,
not the ID number, so a leaked grant reveals nobody. Forged, expired, or for another citizen or
purpose: refused with 403 and the reason.

Format: base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from hub.window.problems import GrantInvalidError

MAX_GRANT_CHARS: Final = 1024


class Grant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_id: str
    purpose: str
    issued_at: int  # unix seconds
    expires_at: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"grant\x1f" + payload, hashlib.sha256).digest()


def issue_grant(key: bytes, citizen_id: str, purpose: str, *, ttl_s: int = 300,
                now: datetime | None = None) -> str:
    at = int((now or datetime.now(UTC)).timestamp())
    grant = Grant(citizen_id=citizen_id, purpose=purpose, issued_at=at, expires_at=at + ttl_s,
                  nonce=secrets.token_hex(8))
    payload = orjson.dumps(grant.model_dump(), option=orjson.OPT_SORT_KEYS)
    return _b64(payload) + "." + _b64(_sign(key, payload))


def verify_grant(key: bytes, token: str, *, max_ttl_s: int, now: datetime | None = None) -> Grant:
    """The grant a token carries when its signature is right and it is live; GrantInvalidError otherwise."""
    if len(token) > MAX_GRANT_CHARS or token.count(".") != 1:
        raise GrantInvalidError("the resident grant is malformed")
    body, _, mac = token.partition(".")
    try:
        payload, signature = _unb64(body), _unb64(mac)
    except (ValueError, UnicodeEncodeError):
        raise GrantInvalidError("the resident grant is malformed") from None
    if not hmac.compare_digest(signature, _sign(key, payload)):
        raise GrantInvalidError("the resident grant's signature is wrong")
    try:
        grant = Grant.model_validate(orjson.loads(payload))
    except (orjson.JSONDecodeError, ValidationError):
        raise GrantInvalidError("the resident grant is malformed") from None
    at = int((now or datetime.now(UTC)).timestamp())
    if grant.expires_at - grant.issued_at > max_ttl_s:
        raise GrantInvalidError("the resident grant lives longer than allowed")
    if not grant.issued_at - 60 <= at < grant.expires_at:
        raise GrantInvalidError("the resident grant has expired")
    return grant


def grant_expiry(grant: Grant) -> datetime:
    return datetime.fromtimestamp(grant.expires_at, UTC) + timedelta(0)
