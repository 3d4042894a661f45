"""GB/T 2260 administrative divisions: names ↔ codes for provinces, cities and counties.

The reference is python-stdnum's county-level table (``stdnum/cn/loc.dat``, every code with the
years it was in use; already a dependency for resident-ID checks), supplemented by the bundled
``data/divisions.json`` (codes that table lacks, successors of abolished districts, and street →
district tables). Reference data, not data learned from records, keeps parsing order-free.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal, get_args

from hub.engine.standardise._text import to_simplified

Level = Literal["province", "city", "county"]

MUNICIPALITIES: Final = frozenset({"11", "12", "31", "50"})
_LINE_RE: Final = re.compile(r'^(\s*)(\d+)\s+(?:province|county)="([^"]*)"')
_RANGE_RE: Final = re.compile(r"^\[(\d*)-(\d*)\](.*)$")
_PLACEHOLDERS: Final = frozenset({"市辖区", "县", "市区", "郊区", "矿区", "林区"})
_PROVINCE_SUFFIX_RE: Final = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX_RE: Final = re.compile(r"(?:市|地区|盟)$")
_STREET_SUFFIX_RE: Final = re.compile(r"(?:街道办事处|街道|镇|乡)$")


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division under one of its names."""

    code: str  # 6-digit GB/T 2260 code
    name: str  # full name, e.g. 西湖区
    level: Level
    current: bool  # name still in use (not abolished or renamed)


#: Names → their divisions, and first two characters → name lengths (longest first).
_Names = tuple[dict[str, tuple[Division, ...]], dict[str, tuple[int, ...]]]


def province_code(code: str) -> str:
    return code[:2] + "0000"


def city_code(code: str) -> str | None:
    """City-level code of any division code; municipalities are their own city (xx0100)."""
    if code[:2] in MUNICIPALITIES:
        return code[:2] + "0100"
    if code[2:4] in ("00", "90"):  # province itself, or 省直辖县级行政区划
        return None
    return code[:4] + "00"


@dataclass(slots=True)
class DivisionTable:
    """Lookup structures over all divisions (current and historical names)."""

    by_code: dict[str, Division]
    by_name: dict[str, tuple[Division, ...]]  # full names and short names (杭州, 浙江)
    lengths: dict[str, tuple[int, ...]]  # first character → name lengths, longest first
    successors: dict[str, str]
    streets: dict[str, dict[str, str]]  # city code → street base name → county code
    levels: dict[Level, _Names]  # by_name restricted to one level, lengths by two characters, for match

    def name_of(self, code: str | None) -> str | None:
        division = self.by_code.get(code or "")
        return division.name if division else None

    def current_code(self, code: str) -> str:
        """Follow successors of abolished districts to the one in use now."""
        seen = 0
        while code in self.successors and seen < 8:
            code, seen = self.successors[code], seen + 1
        return code

    def match(self, text: str, pos: int, level: Level) -> tuple[str, tuple[Division, ...]] | None:
        """Longest division name of ``level`` starting at ``text[pos]``."""
        by_name, lengths = self.levels[level]
        candidates = lengths.get(text[pos : pos + 2])  # every name has two characters or more
        if candidates is None:
            return None  # no name of this level starts with these characters
        for length in candidates:
            name = text[pos : pos + length]
            found = by_name.get(name)
            if found:
                return name, found
        return None

    def street_district(self, city: str | None, street: str | None) -> str | None:
        if not city or not street:
            return None
        return self.streets.get(city, {}).get(_STREET_SUFFIX_RE.sub("", street))


def _level(code: str) -> Level:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def _parse_names(value: str) -> list[tuple[str, bool, int]]:
    """``[1983-2021]下城区,[2021-]x`` → [(name, current, end year)]."""
    out = []
    for part in value.split(","):
        m = _RANGE_RE.match(part)
        if m:
            end = m.group(2)
            out.append((m.group(3), not end, int(end) if end else 9999))
        else:
            out.append((part, True, 9999))
    return out


def _read_stdnum() -> list[tuple[str, str, bool, int]]:
    text = resources.files("stdnum").joinpath("cn", "loc.dat").read_text(encoding="utf-8")
    rows: list[tuple[str, str, bool, int]] = []
    province = ""
    for line in text.splitlines():
        m = _LINE_RE.match(line)
        if not m:
            continue
        indent, digits, value = m.groups()
        if not indent:
            province = digits
            code = digits + "0000"
        else:
            code = province + digits
            if digits == "0000":
                continue  # the province repeated at county level
        for name, current, end in _parse_names(value):
            rows.append((code, to_simplified(name), current, end))
    return rows


def _short_name(name: str, level: Level) -> str | None:
    if level == "province":
        short = _PROVINCE_SUFFIX_RE.sub("", name)
    elif level == "city":
        short = _CITY_SUFFIX_RE.sub("", name)
    else:
        return None
    return short if short != name and len(short) >= 2 else None


def _lengths(names: dict[str, tuple[Division, ...]], prefix: int = 1) -> dict[str, tuple[int, ...]]:
    by_first: dict[str, set[int]] = defaultdict(set)
    for name in names:
        by_first[name[:prefix]].add(len(name))
    return {first: tuple(sorted(lengths, reverse=True)) for first, lengths in by_first.items()}


def _levels(names: dict[str, tuple[Division, ...]]) -> dict[Level, _Names]:
    """Per level: the names with their divisions of that level, and their lengths by first two characters.

    Two characters narrow the candidates to one or two lengths (one only tells 西 of 西湖区 from
    西乌珠穆沁旗 by trying each); no division name is shorter (short names keep two or more).
    """
    if any(len(name) < 2 for name in names):
        raise ValueError("a division name of one character")
    out: dict[Level, _Names] = {}
    for level in get_args(Level):
        scoped = {name: hits for name, found in names.items() if (hits := tuple(d for d in found if d.level == level))}
        out[level] = (scoped, _lengths(scoped, prefix=2))
    return out


def _rank(division: Division) -> tuple[bool, str]:
    return (not division.current, division.code)


@cache
def divisions() -> DivisionTable:
    """The table, built once per process (a few milliseconds)."""
    extra = json.loads(resources.files(__package__).joinpath("data", "divisions.json").read_text("utf-8"))
    rows = _read_stdnum()
    rows += [(a["code"], a["name"], True, 9999) for a in extra["add"]]
    by_code: dict[str, Division] = {}
    ends: dict[str, int] = {}
    by_name: dict[str, list[Division]] = defaultdict(list)
    for code, name, current, end in rows:
        if name in _PLACEHOLDERS or "直辖" in name:
            continue
        level = _level(code)
        if code[:2] in MUNICIPALITIES and level == "city":
            continue  # 市辖区/县 rows; the municipality is its own city
        division = Division(code, name, level, current)
        if end >= ends.get(code, -1):
            by_code[code], ends[code] = division, end
        by_name[name].append(division)
        short = _short_name(name, level)
        if short:
            by_name[short].append(division)
    for prov in MUNICIPALITIES:  # 北京市 as a city, so every address has one
        name = by_code[prov + "0000"].name
        city = Division(prov + "0100", name, "city", True)
        by_code[city.code] = city
        by_name[name].append(city)
        by_name[name[:-1]].append(city)
    ranked = {name: tuple(sorted(set(found), key=_rank)) for name, found in by_name.items()}
    streets: dict[str, dict[str, str]] = {
        city: {street: district for district, names in table.items() for street in names}
        for city, table in extra["streets"].items()
    }
    return DivisionTable(
        by_code=by_code,
        by_name=ranked,
        lengths=_lengths(ranked),
        successors=dict(extra["successors"]),
        streets=streets,
        levels=_levels(ranked),
    )
