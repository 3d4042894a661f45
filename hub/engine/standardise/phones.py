"""Phone numbers → the digits a master record shows (mobile: 11 digits; landline: area code + number).

Departments write ``+86 139-1234-5678``, ``86-571-88886666``, ``(0571)8888 6666``, bare local
numbers, full-width digits and two numbers in one field. The first readable number wins; garbage
is kept as its digits with ``valid=False`` so nothing typed is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import nfkc

PhoneKind = Literal["mobile", "landline", "unknown"]

_SPLIT_RE = re.compile(r"[/,;，；、|或]+|\s{2,}")
_EXT_RE = re.compile(r"(?:转|分机|ext\.?|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
_NON_DIGIT_RE = re.compile(r"\D+")
_COUNTRY_SEP_RE = re.compile(r"^\s*(?:\+|00)?\s*86(?:[\s\-.)]|$)")
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
#: Area code + subscriber number: 010/02x take 8 digits, 0xxx take 7 or 8; numbers start 2-9.
_LANDLINE_RE = re.compile(r"0(?:10|2\d)[2-9]\d{7}|0[3-9]\d{2}[2-9]\d{6,7}")
_LOCAL_RE = re.compile(r"[2-9]\d{6,7}")
_SERVICE_RE = re.compile(r"[48]00\d{7}")


@dataclass(frozen=True, slots=True, init=False)
class Phone:
    """A phone number as digits, with what kind it is and whether it can be dialled."""

    digits: str
    kind: PhoneKind
    valid: bool

    def __init__(self, digits: str, kind: PhoneKind, valid: bool) -> None:
        """Written out: the dataclass-made __init__ stays interpreted under mypyc; these object.__setattr__ calls of a
        frozen class compile to slot writes (as `ParsedAddress`)."""
        object.__setattr__(self, "digits", digits)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "valid", valid)


@lru_cache(maxsize=64)
def _area(area_code: str) -> str:
    digits = _NON_DIGIT_RE.sub("", area_code)
    return digits if digits.startswith("0") else "0" + digits


def _classify(digits: str, area: str, international: bool = False) -> Phone:
    if _SERVICE_RE.fullmatch(digits):
        return Phone(digits, "unknown", False)  # 400/800 hotlines reach no one in particular
    if _MOBILE_RE.fullmatch(digits):
        return Phone(digits, "mobile", True)
    if len(digits) == 12 and digits[0] == "0" and _MOBILE_RE.fullmatch(digits[1:]):
        return Phone(digits[1:], "mobile", True)  # a trunk 0 dialled before a mobile
    if _LANDLINE_RE.fullmatch(digits):
        return Phone(digits, "landline", True)
    if _LOCAL_RE.fullmatch(digits) and _LANDLINE_RE.fullmatch(area + digits):
        return Phone(area + digits, "landline", True)
    if international and digits[:1] in "23456789" and _LANDLINE_RE.fullmatch("0" + digits):
        return Phone("0" + digits, "landline", True)  # area code written without its 0 (+86 571…)
    return Phone(digits, "unknown", False)


def _is_plain(text: str) -> bool:
    """ASCII digits only, as most fields are: no separators, extension or second number to look for."""
    return text.isdigit() and text.isascii()


def _one(part: str, area: str) -> Phone | None:
    plain = _is_plain(part)
    if not plain:
        part = _EXT_RE.sub("", part)
    international = bool(_COUNTRY_SEP_RE.match(part))
    digits = part if plain else _NON_DIGIT_RE.sub("", part)
    if not digits:
        return None
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and (
        international
        or _MOBILE_RE.fullmatch(digits[2:])
        or (len(digits) >= 12 and _LANDLINE_RE.fullmatch("0" + digits[2:]))
    ):
        digits = digits[2:]
        international = True
    phone = _classify(digits, area, international or len(digits) in (10, 11))
    if not phone.valid:
        # 0571-8888-6666-801: a trailing short group is an extension
        groups = [g for g in _NON_DIGIT_RE.split(part) if g]
        if len(groups) > 1 and len(groups[-1]) <= 5:
            shorter = _classify("".join(groups[:-1]), area, international)
            if shorter.valid:
                return shorter
    return phone


@lru_cache(maxsize=CACHE_SIZE)
def normalise_phone(raw: str | None, area_code: str = "0571") -> Phone | None:
    """Standardise a phone field; ``area_code`` is the hub city's, for bare local numbers."""
    return None if raw is None else read_phone(raw, area_code)


def read_phone(raw: str, area_code: str) -> Phone | None:
    """`normalise_phone` without its cache, for callers that keep their own (`MentionReader`)."""
    text = nfkc(raw).strip()
    area = _area(area_code)
    first: Phone | None = None
    for part in [text] if _is_plain(text) else _SPLIT_RE.split(text):
        phone = _one(part, area)
        if phone is None:
            continue
        if phone.valid:
            return phone
        first = first or phone
    return first
