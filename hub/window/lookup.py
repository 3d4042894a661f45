"""What a hall may search by, read the way people type it, and how sure a demographic match is.

Why here and not in the routes: the rules are the window's defence against fishing (a name alone,
a birth year alone are refused) and against misspelt IDs finding nobody (any accepted spelling:
15 or 18 digits, lower-case x, spaces, full-width digits), so they are pure functions, tested alone.
The input is read by the engine's own standardisers, so an ID or phone typed at the counter means
exactly what it means in a department record. Grades are IHE $match's vocabulary:
certain (an identifier agrees besides name and birth date), probable (same name, same birth
date), possible (a name that differs by one character or reads the same in pinyin).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any, Final

from rapidfuzz.distance import OSA

from hub.engine.mentions import AREA_CODES
from hub.engine.standardise.ids import read_resident_id
from hub.engine.standardise.names import PersonName, read_name
from hub.engine.standardise.organizations import normalise_credit_code
from hub.engine.standardise.phones import read_phone
from hub.window.problems import InvalidQueryError, SearchTooBroadError

MAX_PARAM: Final = 64
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEARISH_RE: Final = re.compile(r"\d{4}(?:-\d{1,2})?")
#: A person's name as typed: ideographs (CJK and compatibility), letters of any script, the dots
#: of transliterated names (·•・.), spaces and hyphens; nothing a query language would read.
_NAME_RE: Final = re.compile(r"[^\W\d_]+(?:[\s·•・.\-]*[^\W\d_]+)*")
CITIZEN_ID_RE: Final = re.compile(r"C-r?[a-z2-7]{15,16}")
ADDRESS_ID_RE: Final = re.compile(r"A-[a-z2-7]{16}")


class Grade(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


GRADE_ORDER: Final = {Grade.CERTAIN: 0, Grade.PROBABLE: 1, Grade.POSSIBLE: 2}


def _bounded(raw: str, what: str) -> str:
    value = raw.strip()
    if not value or len(value) > MAX_PARAM:
        raise InvalidQueryError(f"{what} must be 1 to {MAX_PARAM} characters")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidQueryError(f"{what} holds control characters")
    return value


def parse_id_number(raw: str) -> str:
    """The 18-digit form of a resident ID in any accepted spelling; 422 when it is not one."""
    rid = read_resident_id(_bounded(raw, "id_number"))
    if rid is None or len(rid.value) != 18 or not rid.value[:17].isdigit():
        raise InvalidQueryError("id_number is not a resident ID (15 or 18 characters)")
    if rid.birth_date is None:
        raise InvalidQueryError("id_number holds no real birth date: check for a typing error")
    # a wrong check character is still looked up: a master may hold exactly that ID (kept as evidence)
    return rid.value


def parse_phone(raw: str, city_code: str) -> str:
    phone = read_phone(_bounded(raw, "phone"), AREA_CODES.get(city_code[:4] + "00", ""))
    if phone is None or not phone.valid:
        raise InvalidQueryError("phone is not a dialable mobile or landline number")
    return phone.digits


def parse_name(raw: str) -> PersonName:
    value = _bounded(raw, "name")
    if not _NAME_RE.fullmatch(value):
        raise InvalidQueryError("name may hold only letters, ideographs, spaces and the name dot")
    name = read_name(value)
    if name is None or not name.key:
        raise InvalidQueryError("name holds no name")
    return name


def parse_birth_date(raw: str) -> date:
    value = _bounded(raw, "birth_date")
    if _YEARISH_RE.fullmatch(value):
        raise SearchTooBroadError("a birth year or month alone is not enough: give the full date YYYY-MM-DD")
    if not _DATE_RE.fullmatch(value):
        raise InvalidQueryError("birth_date must be YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidQueryError("birth_date is not a calendar date") from None


def parse_credit_code(raw: str) -> str:
    code = normalise_credit_code(_bounded(raw, "credit_code"))
    if code is None or not code.valid:
        raise InvalidQueryError("not a valid unified social credit code (18 characters, check character)")
    return code.value


def parse_citizen_id(raw: str) -> str:
    if not CITIZEN_ID_RE.fullmatch(raw):
        raise InvalidQueryError("not a citizen id (C-…)")
    return raw


def parse_address_id(raw: str) -> str:
    if not ADDRESS_ID_RE.fullmatch(raw):
        raise InvalidQueryError("not an address id (A-…)")
    return raw


def parse_gender(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    found = {"male": "male", "m": "male", "男": "male", "female": "female", "f": "female", "女": "female"}.get(value)
    if found is None:
        raise InvalidQueryError("gender must be male or female (男/女)")
    return found


def check_criteria(*, id_number: str | None, name: str | None, birth_date: str | None, phone: str | None) -> str:
    """Which search a query string asks for; refuses anything below the minimum criteria."""
    given = [k for k, v in (("id_number", id_number), ("phone", phone), ("name", name),
                            ("birth_date", birth_date)) if v is not None]
    if id_number is not None:
        if len(given) > 1:
            raise InvalidQueryError("search by id_number alone")
        return "id_number"
    if name is not None and birth_date is not None:
        return "name_birth_date"
    if phone is not None:
        if name is not None or birth_date is not None:
            raise SearchTooBroadError("combine phone only with name and birth_date, not one of them")
        return "phone"
    raise SearchTooBroadError("give id_number, phone, or name together with birth_date (YYYY-MM-DD)")


def _field(doc: dict[str, Any], name: str) -> Any:
    found = doc.get("fields", {}).get(name)
    return found.get("value") if isinstance(found, dict) else None


def grade(doc: dict[str, Any], name: PersonName, born: date, *, gender: str | None = None,
          phone: str | None = None) -> Grade | None:
    """How well a citizen document matches a name + birth date search (None: not a match)."""
    if _field(doc, "birth_date") != born.isoformat():
        return None
    if gender is not None and _field(doc, "gender") not in (None, gender):
        return None
    raw = _field(doc, "name")
    theirs = read_name(raw) if isinstance(raw, str) else None
    if theirs is None:
        return None
    if theirs.key == name.key:
        if phone is not None and _field(doc, "phone") == phone:
            return Grade.CERTAIN
        return Grade.PROBABLE
    if (theirs.pinyin and theirs.pinyin == name.pinyin) or (
            min(len(theirs.key), len(name.key)) >= 2 and OSA.distance(theirs.key, name.key) <= 1):
        return Grade.POSSIBLE
    return None
