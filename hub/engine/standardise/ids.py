"""Identity document numbers: resident IDs (GB 11643-1999) and other documents.

An ID typed at a counter may carry spaces, full-width digits, a lower-case ``x``, a wrong digit,
or still be the 15-digit pre-1999 form. The 18-digit form is the join key across departments, so
legacy IDs are upgraded; a checksum-invalid ID is kept (``valid=False``) because it is still
evidence, only weaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import OSA

from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import nfkc, settle

Gender = Literal["male", "female"]

#: Whitespace and the separators people put between ID groups.
_NOISE_RE = re.compile(r"[\s\u200b\ufeff\-_.·/]+")
_DOC_NOISE_RE = re.compile(r"[\s\u200b\ufeff\-_.·/()\[\]]+")

#: Birth years outside this range are typing errors, not people (kept pure: no "today").
_MIN_YEAR, _MAX_YEAR = 1880, 2100


@dataclass(frozen=True, slots=True, init=False)
class ResidentId:
    """A cleaned resident ID and what it says about its holder."""

    value: str  # 18-char form when it has 18 chars, else the cleaned input
    valid: bool  # check character and birth date both correct
    upgraded_from_legacy: bool
    birth_date: date | None  # from the ID when its date part is a real date
    gender: Gender | None  # odd 17th digit = male
    region: str | None  # first 6 digits (GB/T 2260 code at issue time)

    def __init__(self, value: str, valid: bool, upgraded_from_legacy: bool, birth_date: date | None,
                 gender: Gender | None, region: str | None) -> None:
        """Written out: the dataclass-made __init__ stays interpreted under mypyc; these object.__setattr__ calls of a
        frozen class compile to slot writes (as `ParsedAddress`)."""
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "valid", valid)
        object.__setattr__(self, "upgraded_from_legacy", upgraded_from_legacy)
        object.__setattr__(self, "birth_date", birth_date)
        object.__setattr__(self, "gender", gender)
        object.__setattr__(self, "region", region)


def _birth_date(value: str) -> date | None:
    try:
        year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
        born = date(year, month, day)
    except ValueError:
        return None
    return born if _MIN_YEAR <= year < _MAX_YEAR else None


def clean_id_text(raw: str) -> str:
    """Whitespace/separators out, full-width → half-width, ``x`` → ``X``."""
    if raw.isascii() and raw.isalnum():  # most IDs: nothing to fold or strip
        return raw.upper()
    return settle(_NOISE_RE.sub("", nfkc(raw)).upper())


@lru_cache(maxsize=CACHE_SIZE)
def normalise_resident_id(raw: str | None) -> ResidentId | None:
    """Clean, upgrade (15 → 18) and validate a resident ID; None when nothing is left.

    ``str.isdecimal`` is the regex ``\\d`` (Unicode category Nd) without a regex call.
    """
    return None if raw is None else read_resident_id(raw)


def read_resident_id(raw: str) -> ResidentId | None:
    """`normalise_resident_id` without its cache, for callers that keep their own (`MentionReader`)."""
    value = clean_id_text(raw)
    if not value:
        return None
    upgraded = False
    if len(value) == 15 and value.isdecimal():
        body = value[:6] + "19" + value[6:]
        value = body + _check_character(body)
        upgraded = True
    if len(value) != 18 or not value[:17].isdecimal():
        region = value[:6] if len(value) >= 6 and value[:6].isdigit() else None
        return ResidentId(value, False, False, None, None, region)
    born = _birth_date(value)
    check_ok = value[17] == _check_character(value)
    # positional, in field order (the written __init__ above)
    return ResidentId(
        value,
        check_ok and born is not None,  # valid
        upgraded,  # upgraded_from_legacy
        born,  # birth_date
        "male" if int(value[16]) % 2 else "female",  # gender
        value[:6],  # region
    )


def _check_character(value: str) -> str:
    """GB 11643's check character of the first 17 digits: python-stdnum's `ric.calc_check_digit`
    (the weights 2^(17-i) mod 11 are the digits read in base 13), written here so that the compiled
    engine does not call interpreted code once per ID."""
    checksum = (1 - 2 * int(value[:17], 13)) % 11
    return "X" if checksum == 10 else str(checksum)


def id_distance(a: str, b: str) -> int:
    """Edit distance counting an adjacent transposition as one edit (typing errors)."""
    return int(OSA.distance(a, b))


def normalise_document_number(raw: str | None, document_type: str | None = None) -> str | None:
    """Cleaned number of any identity document: resident IDs as above, others upper-case, no noise.

    ``document_type`` is a ``hub.contract.records.DocumentType`` value (``"resident_id"``,
    ``"passport"``, ...); for resident and legacy IDs the 18-digit form is returned.
    """
    if raw is None:
        return None
    if document_type in (None, "resident_id", "legacy_or_other_id"):
        rid = normalise_resident_id(raw)
        if rid is not None and (document_type == "resident_id" or len(rid.value) == 18):
            return rid.value
    value = settle(_DOC_NOISE_RE.sub("", nfkc(raw)).upper())
    return value or None
