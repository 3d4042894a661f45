"""The corruption functions: how a true value gets written down at a department counter.

Two kinds, kept apart on purpose. *Presentation* mess (full-width digits, spaces, lower-case x,
traditional characters, dot variants, phone and address spellings) normalises back to the true
value. *Content* mess (a wrong ID digit, a transposition, a homophone slip in a name) does not;
the truth records which rows carry it. Functions take an explicit `random.Random` and return
the written string (and, where useful, the tags saying what was done).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from opencc import OpenCC

from citygen.addresses import City, Place
from citygen.config import MessRates
from citygen.identity import is_valid_id
from citygen.sampling import Weighted

_S2T = OpenCC("s2t")
_FULLWIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
_DOT_VARIANTS = ("•", ".", "．", "")
_DOT_VARIANTS_GBK = (".", "．", "")
_DIGITS = "零一二三四五六七八九"


@lru_cache(maxsize=65536)
def traditional(text: str) -> str:
    """Simplified → traditional (OpenCC s2t), cached: names and place names repeat a lot."""
    return str(_S2T.convert(text))


def fullwidth(text: str) -> str:
    """ASCII digits and X/x as their full-width forms (as an IME in full-width mode types them)."""
    return text.translate(_FULLWIDTH)


def chinese_numeral(n: int) -> str:
    """12 → 十二, 20 → 二十, 105 → 一百零五: how numbers are spelled in hand-written addresses."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = _DIGITS[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + _DIGITS[rest]
        tail = chinese_numeral(rest)
        return head + ("一" + tail if rest < 20 else tail)
    return str(n)


# --- identity documents -------------------------------------------------------------------------

def wrong_digit(id18: str, rng: random.Random) -> str:
    """One digit typed wrong. A single substitution always breaks the GB 11643 checksum."""
    i = rng.randrange(17) if rng.random() < 0.9 else 17
    options = "0123456789" if i < 17 else "0123456789X"
    new = rng.choice([c for c in options if c != id18[i]])
    value = id18[:i] + new + id18[i + 1 :]
    return value if not is_valid_id(value) else wrong_digit(id18, rng)


def transposition(id18: str, rng: random.Random) -> str:
    """Two neighbouring characters swapped; retried until they differ and the checksum breaks."""
    for _ in range(50):
        i = rng.randrange(17)
        if id18[i] != id18[i + 1]:
            value = id18[:i] + id18[i + 1] + id18[i] + id18[i + 2 :]
            if not is_valid_id(value):
                return value
    return wrong_digit(id18, rng)


def present_id(value: str, rng: random.Random, mess: MessRates) -> tuple[str, list[str]]:
    """How an ID number is typed: lower-case x, full-width digits, stray spaces. Normalises back."""
    tags: list[str] = []
    if value.endswith("X") and rng.random() < mess.id_lower_x:
        value = value[:-1] + "x"
        tags.append("id_lower_x")
    if rng.random() < mess.id_fullwidth:
        value = fullwidth(value)
        tags.append("id_fullwidth")
    if rng.random() < mess.id_spaces:
        if rng.random() < 0.5 and len(value) == 18:
            value = f"{value[:6]} {value[6:14]} {value[14:]}"
        else:
            i = rng.randrange(1, len(value))
            value = value[:i] + " " + value[i:]
        tags.append("id_spaces")
    return value, tags


def present_document(value: str, rng: random.Random) -> str:
    """Passport/permit numbers: sometimes lower-case or with a stray space."""
    r = rng.random()
    if r < 0.04:
        return value.lower()
    if r < 0.07:
        return value[:1] + " " + value[1:]
    return value


# --- names --------------------------------------------------------------------------------------

def present_name(name: str, rng: random.Random, mess: MessRates, *, gbk: bool = False,
                 force_traditional: bool = False) -> tuple[str, list[str]]:
    """How a legal name is typed: traditional characters, a dot variant, stray spaces."""
    tags: list[str] = []
    if force_traditional or rng.random() < mess.name_traditional:
        converted = traditional(name)
        if converted != name:
            name = converted
            tags.append("name_traditional")
    if "·" in name and rng.random() < mess.dot_variant:
        name = name.replace("·", rng.choice(_DOT_VARIANTS_GBK if gbk else _DOT_VARIANTS))
        tags.append("name_dot_variant")
    if rng.random() < mess.name_spaces:
        if len(name) <= 3 and rng.random() < 0.6:
            name = " ".join(name) if rng.random() < 0.3 else name[0] + " " + name[1:]
        else:
            i = rng.randrange(1, len(name))
            name = name[:i] + rng.choice((" ", "  ", "\u3000")) + name[i:]
        tags.append("name_spaces")
    return name, tags


# --- phones -------------------------------------------------------------------------------------

_MOBILE_STYLES = ("plain", "plus86_spaced", "86_dashed", "dashed", "spaced", "plus86", "fullwidth")
_LANDLINE_STYLES = ("dashed", "plain", "local", "paren", "spaced")
_STYLE_WEIGHTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "civil_affairs": ((70, 4, 3, 10, 6, 5, 2), (50, 20, 20, 5, 5)),
    "health": ((60, 6, 5, 10, 8, 8, 3), (40, 25, 25, 5, 5)),
    "hrss": ((80, 3, 3, 6, 3, 4, 1), (45, 35, 15, 3, 2)),
    "tax": ((85, 4, 2, 4, 1, 4, 0), (40, 45, 10, 3, 2)),
    "commerce": ((75, 5, 4, 8, 4, 4, 0), (60, 25, 10, 3, 2)),
}


@dataclass(frozen=True, slots=True)
class PhoneStyle:
    """One counter's habit of writing phone numbers; a record keeps its style across updates."""

    mobile: str
    landline: str


_PHONE_PICKS = {source: (Weighted(_MOBILE_STYLES, m), Weighted(_LANDLINE_STYLES, fixed))
                for source, (m, fixed) in _STYLE_WEIGHTS.items()}


def phone_style(source: str, rng: random.Random) -> PhoneStyle:
    mobile, landline = _PHONE_PICKS[source]
    return PhoneStyle(mobile.pick(rng), landline.pick(rng))


def present_phone(number: str, area_code: str, style: PhoneStyle) -> str:
    """Write a canonical number (11-digit mobile, or area code + local digits) in a style."""
    if number.startswith("1") and len(number) == 11:
        a, b, c = number[:3], number[3:7], number[7:]
        return {
            "plain": number,
            "plus86_spaced": f"+86 {a} {b} {c}",
            "86_dashed": f"86-{a}-{b}-{c}",
            "dashed": f"{a}-{b}-{c}",
            "spaced": f"{a} {b} {c}",
            "plus86": f"+86{number}",
            "fullwidth": fullwidth(number),
        }[style.mobile]
    local = number[len(area_code) :] if number.startswith(area_code) else number
    return {
        "dashed": f"{area_code}-{local}",
        "plain": number,
        "local": local,
        "paren": f"({area_code}){local}",
        "spaced": f"{area_code} {local[:4]} {local[4:]}",
    }[style.landline]


# --- addresses ----------------------------------------------------------------------------------

_PREFIX_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    # full (province+city+district), city+district, district only, nothing
    "civil_affairs": (45, 20, 30, 5),
    "health": (15, 15, 40, 30),
    "hrss": (35, 25, 25, 15),
    "tax": (50, 20, 20, 10),
    "commerce": (60, 25, 15, 0),
}


@dataclass(frozen=True, slots=True)
class AddressStyle:
    """One way of writing an address; chosen once per (record, place) so a record re-exports the same text."""

    prefix: str  # full | city | district | none
    province_short: bool  # 浙江 instead of 浙江省, 杭州 instead of 杭州市
    with_street: bool
    layout: str  # both | estate | road  (flats: road+number and 小区, only 小区, only road+number)
    numerals: str  # arabic | chinese | fullwidth
    marker: str  # 幢 | 栋 | 号楼 | dash
    room_suffix: str  # 室 | "" | 房
    unit_when_single: bool
    spaces: bool
    traditional: bool
    comma: bool
    group: str = "arabic"  # village houses: the group (组) as arabic | chinese | fullwidth | omitted


_PREFIX_PICKS = {source: Weighted(("full", "city", "district", "none"), w) for source, w in _PREFIX_WEIGHTS.items()}
_LAYOUT = Weighted(("both", "estate", "road"), (0.5, 0.35, 0.15))
_ROOM_SUFFIX = Weighted(("室", "", "房"), (0.82, 0.15, 0.03))


@lru_cache(maxsize=8)
def _marker_pick(dash_share: float) -> Weighted[str]:
    rest = 1.0 - dash_share
    return Weighted(("幢", "栋", "号楼", "dash"), (0.45 * rest, 0.2 * rest, 0.35 * rest, dash_share))


def address_style(source: str, rng: random.Random, mess: MessRates) -> AddressStyle:
    numerals = "arabic"
    r = rng.random()
    if r < mess.address_chinese_numerals:
        numerals = "chinese"
    elif r < mess.address_chinese_numerals + mess.address_fullwidth:
        numerals = "fullwidth"
    return AddressStyle(
        prefix=_PREFIX_PICKS[source].pick(rng),
        province_short=rng.random() < 0.1,
        with_street=rng.random() < 0.08,
        layout=_LAYOUT.pick(rng),
        numerals=numerals,
        marker=_marker_pick(mess.address_dash_shorthand).pick(rng),
        room_suffix=_ROOM_SUFFIX.pick(rng),
        unit_when_single=rng.random() < 0.5,
        spaces=rng.random() < mess.address_spaces,
        traditional=rng.random() < mess.address_traditional,
        comma=rng.random() < mess.address_comma,
        group=_group_pick(mess.village_group_omitted, mess.village_group_chinese, mess.village_group_fullwidth)
        .pick(rng),
    )


@lru_cache(maxsize=8)
def _group_pick(omitted: float, chinese: float, fullwidth_share: float) -> Weighted[str]:
    return Weighted(("omitted", "chinese", "fullwidth", "arabic"),
                    (omitted, chinese, fullwidth_share, max(0.0, 1.0 - omitted - chinese - fullwidth_share)))


def _group(n: int, style: AddressStyle) -> str:
    """A village group as written: 3组, 三组, ３组, 十二组, or nothing (the house number implies it)."""
    if style.group == "omitted":
        return ""
    if style.group == "chinese" or style.numerals == "chinese":
        return chinese_numeral(n) + "组"
    if style.group == "fullwidth":
        return fullwidth(str(n)) + "组"
    return f"{n}组"


def _num(n: int, style: AddressStyle, limit: int = 99) -> str:
    if style.numerals == "chinese" and n <= limit:
        return chinese_numeral(n)
    return str(n)


def present_address(place: Place, city: City, style: AddressStyle, rng: random.Random) -> str:
    """Write a place's address in a style. Never changes which place it names (no 路→街, no lost unit)."""
    parts: list[str] = []
    spec = city.spec
    if style.prefix == "full" and spec.province:
        parts.append(spec.province[:-1] if style.province_short else spec.province)
    if style.prefix in ("full", "city"):
        parts.append(spec.name[:-1] if style.province_short and spec.province else spec.name)
    if style.prefix != "none":
        parts.append(place.district.name)
    if place.kind == "house":
        if style.with_street or style.prefix == "none" or rng.random() < 0.7:
            parts.append(place.street.name)
        parts.append(str(place.village))
        parts.append(f"{_group(place.group or 0, style)}{_num(place.number or 0, style, 999)}号")
    else:
        if style.with_street and style.prefix != "none":
            parts.append(place.street.name)
        if place.kind == "flat":
            layout = style.layout
            if style.prefix == "none" and (place.road in city.shared_names or place.estate in city.shared_names):
                layout = "both"  # without the district only road + number + estate together name one place
            if layout in ("both", "road"):
                parts.append(f"{place.road}{_num(place.number or 0, style)}号")
            if layout in ("both", "estate"):
                parts.append(str(place.estate))
            parts.append(_flat_tail(place, style))
        else:
            parts.append(f"{place.road}{_num(place.number or 0, style)}号")
            if place.estate and rng.random() < 0.6:
                parts.append(place.estate)
            if place.building is not None:
                parts.append(f"{_num(place.building, style)}{'幢' if style.marker == 'dash' else style.marker}")
            if place.room is not None:
                parts.append(f"{place.room}{style.room_suffix or '室'}")
    sep = " " if style.spaces else ""
    if style.comma and len(parts) > 2:
        parts[-2] += ","
    text = sep.join(parts)
    if style.numerals == "fullwidth":
        text = fullwidth(text)
    if style.traditional:
        text = traditional(text)
    return text


def _flat_tail(place: Place, style: AddressStyle) -> str:
    """Building/unit/room. A single-unit building (unit None) may still be written as 1单元: same place."""
    building, room = place.building or 0, place.room or 0
    unit = place.unit if place.unit is not None else (1 if style.unit_when_single else None)
    if style.marker == "dash":
        return f"{building}-{unit}-{room}" if unit is not None else f"{building}-{room}"
    text = f"{_num(building, style)}{style.marker}"
    if unit is not None:
        text += f"{_num(unit, style, 9)}单元"
    return text + f"{room}{style.room_suffix}"
