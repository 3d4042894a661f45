"""Master ids derived from content, so they are stable for life and independent of event order.

A citizen cluster with a valid resident ID takes a keyed hash (HMAC) of it: the id reveals
nothing, and the same person gets the same id in every run. Clusters without one take the hash
of their smallest member ref. Addresses and organisations hash their most specific key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _short(digest: bytes) -> str:
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def citizen_id(secret: bytes, resident_id: str | None, smallest_ref: str) -> str:
    if resident_id is not None:
        return "C-" + _short(hmac.digest(secret, resident_id.encode("ascii"), "sha256"))
    return "C-r" + _short(hashlib.sha256(smallest_ref.encode("utf-8")).digest())[1:]


def address_id(canonical: str) -> str:
    return "A-" + _short(hashlib.sha256(canonical.encode("utf-8")).digest())


def organization_id(credit_code: str | None, name_key: str | None) -> str:
    if credit_code is not None:
        return "O-" + credit_code
    return "O-n" + _short(hashlib.sha256((name_key or "").encode("utf-8")).digest())[1:]
