"""Free-text Chinese addresses → components, a canonical text and matching keys.

Departments type the same flat as ``浙江省杭州市西湖区文三路90号东部软件园1号楼``,
``文三路九十号1栋二单元1502`` or ``杭州市西湖区文三路９０号1-2-1502``. The parser folds width,
script and numerals, then reads components in the order Chinese addresses are written
(province → city → district → street → community → road → number → estate → building → unit →
floor → room): administrative names from the GB/T 2260 reference table, the rest by their
marker characters, the building/unit/room tail from the right. It never raises; what it cannot
place is kept in ``extra``. Results are cached because the same address text recurs across
departments and household members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import cache, lru_cache
from typing import Final

from rapidfuzz.fuzz import ratio

from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import char_class, fold, nfkc, settle, settled_ideographs
from hub.engine.standardise.divisions import (
    Division,
    city_code,
    divisions,
    province_code,
)
from hub.engine.standardise.numerals import NUMERAL_CHARS, chinese_to_digits

#: Components in writing order; ``extra`` is text that could not be placed.
COMPONENTS: Final = (
    "province", "city", "district", "street", "community", "road", "number",
    "estate", "building", "unit", "floor", "room",
)  # fmt: skip

# --- text preparation -------------------------------------------------------------------------
_DROP_RE: Final = re.compile(r"[()\[\]{}【】〔〕《》<>「」『』\"'“”‘’`,，。、;；:：!！?？*·•]+")
_DASH_RE: Final = re.compile(r"[‐‑‒–—―−~～_]+|(?<=\d)[至到](?=\d)")
_NUMERAL_RE: Final = re.compile(
    rf"[{NUMERAL_CHARS}]+(?=号|幢|栋|座|单元|室|房|层|楼|组|弄|期|区|排|户|队)"
    rf"|(?:(?<=单元)|(?<=[幢栋座]))[{NUMERAL_CHARS}]+(?=室|房|$|[A-Z]+$)"
)
_ORDINAL_RE: Final = re.compile(r"第(?=\d)")


_NUMERAL_CHAR_RE: Final = re.compile(f"[{NUMERAL_CHARS}]")


@cache
def _plain_re() -> re.Pattern[str]:
    """Texts where _prepare_general only reads numerals (numerals become ASCII digits, all else stays).

    Their characters: ideographs that fold keeps (less 至/到/第, which the clean-up rewrites),
    ASCII digits and capitals, # and -.
    """
    return re.compile(rf"[0-9A-Z#\-{char_class(settled_ideographs() - set('至到第'))}]*")


# --- left-to-right components (anchored with .match at the current position) ---------------
_NAME: Final = r"(?:(?!街道|社区|路|号)[^\d\-#])"
_STREET_RE: Final = re.compile(rf"{_NAME}{{1,8}}?(?:街道办事处|街道|镇|乡)(?![路街巷道弄]|大道|大街)")
_COMMUNITY_RE: Final = re.compile(
    rf"({_NAME}{{1,10}}?)(社区居民委员会|社区居委会|居民委员会|居委会|村民委员会|村委会|社区|村)"
    r"(?![路街巷道弄里苑园府庭居坊城]|小区|花园|家园|公寓)"  # 银村里, 李村苑: estates, not villages
)
_ROAD_RE: Final = re.compile(
    r"(?:(?!街道|社区)[^\d\-#号]){1,12}?(?:大道|大街|胡同|路|街|巷|弄|道)(?!道|[里苑园府庭居坊城]|小区|花园|家园|公寓|大厦|广场|公馆|新村)"
    r"|[^\d\-#号]{0,6}?\d+号(?:大街|路)"
)
_GROUP_RE: Final = re.compile(r"(?:\d+|[^\d\-#号]{1,4}?)(?:组|队)(?!团)")
# _NUMBER_RE starts with a digit (what \d matches is what str.isdecimal accepts)
_NUMBER_RE: Final = re.compile(r"(\d+弄\d+(?:-\d+)?|\d+(?:-\d+)?)号(?!楼|大街)院?|(\d+)弄(?![\d号])")
_GROUP_AHEAD_RE: Final = re.compile(r"\d+组")
_BARE_NUMBER_RE: Final = re.compile(r"(\d+(?:-\d+)?)$")
#: The first character of a marker each regex above needs, and its reach from where the regex would
#: match (its longest name, plus the marker's first two characters: 大道 ends in 道): one cheap search
#: rules most regex calls out (most texts have no 镇 or 村 ahead).
_STREET_MARKS: Final = (re.compile("[街镇乡]"), 8 + 2)
_COMMUNITY_MARKS: Final = (re.compile("[村社居]"), 10 + 2)
_ROAD_MARKS: Final = (re.compile("[路街道巷弄胡]"), 12 + 2)
_NUMBERED_ROAD_RE: Final = re.compile("号路|号大街")  # 3号路: after any number of digits
_ZONE_RE: Final = re.compile(r"[^\d\-#号路街镇乡村道巷区]{1,8}?(?:经济技术开发区|开发区|高新区|新区|度假区|风景名胜区)")

# --- right-to-left tail: estate? building? unit? floor? room? --------------------------------
_ID: Final = r"[0-9A-Z]+"
_TAIL_RE: Final = re.compile(
    rf"(?:(?P<b>{_ID})(?:号楼|幢|栋|座|#楼?|号(?={_ID}(?:单元|室|号房|房|层|楼|$))|楼(?={_ID}单元)))?"
    rf"(?:(?P<u>{_ID})单元)?"
    r"(?:(?P<f>-?\d+)(?:层|楼))?"
    rf"(?:(?P<r>{_ID})(?P<rm>室|号房|房|号)?)?$"
)
_SHORTHAND3_RE: Final = re.compile(rf"(?P<b>{_ID})-(?P<u>\d+)-(?P<r>{_ID})(?:室|房|号)?$")
_SHORTHAND2_RE: Final = re.compile(r"(?P<b>\d+)-(?P<r>\d{3,5})(?:室|房)?$")
_TRAILING_LETTERS_RE: Final = re.compile(r"(?<=[^0-9A-Z])[A-Z]+$")
_TRAILING_NOTE_RE: Final = re.compile(r"(?<=[室房])[^\d\-#室房幢栋座单元号楼层]{1,8}$")
#: Every character the three tail regexes consume, but for non-ASCII digits (\d)
_TAIL_CHARS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ#-号楼幢栋座单元层室房"
_ROOM_END: Final = frozenset("0123456789-#室房幢栋座单元号楼层")  # a tail ending in one has no trailing note or letters
_ESTATE_SUFFIX_RE: Final = re.compile(
    r"(?:小区|花园|家园|新村|公寓|苑|园|府|庭|居|坊|城|大厦|广场|公馆|中心|大楼|楼|宿舍)$"
)
_LEADING_ZEROS_RE: Final = re.compile(r"(?<![0-9A-Z])0+(?=[0-9A-Z])")  # of every number: 00弄03 → 0弄3
_COMMUNITY_CANON: Final = {
    "社区居民委员会": "社区", "社区居委会": "社区", "居民委员会": "社区", "居委会": "社区",
    "村民委员会": "村", "村委会": "村",
}  # fmt: skip
_STREET_BASE_RE: Final = re.compile(r"(?:街道办事处|街道|镇|乡)$")
_COMMUNITY_BASE_RE: Final = re.compile(r"(?:社区|村)$")


@dataclass(frozen=True, slots=True, init=False)
class ParsedAddress:
    """An address split into standard components (all optional) with its canonical text."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None  # 街道 / 镇 / 乡
    community: str | None = None  # 社区 / 村
    road: str | None = None  # 路 / 街 / 巷 / 弄 ..., or a village group (3组)
    number: str | None = None  # 门牌号 without 号: "90", "90-1", "123弄4"
    estate: str | None = None  # 小区 / 苑 / 园 ... or any named complex
    building: str | None = None  # 幢 / 栋 / 号楼 / 座 → Arabic or letter, e.g. "1", "A"
    unit: str | None = None  # 单元
    floor: str | None = None  # 层 / 楼
    room: str | None = None  # 室 / 房
    extra: str | None = None  # text that could not be placed (kept, not in the canonical form)
    province_code: str | None = None
    city_code: str | None = None
    district_code: str | None = None  # GB/T 2260 when known
    inferred: tuple[str, ...] = ()  # components filled from reference data, not written
    canonical: str = ""

    def __init__(
        self, province: str | None = None, city: str | None = None, district: str | None = None,
        street: str | None = None, community: str | None = None, road: str | None = None,
        number: str | None = None, estate: str | None = None, building: str | None = None,
        unit: str | None = None, floor: str | None = None, room: str | None = None, extra: str | None = None,
        province_code: str | None = None, city_code: str | None = None, district_code: str | None = None,
        inferred: tuple[str, ...] = (), canonical: str = "",
    ) -> None:  # fmt: skip
        """The dataclass-made __init__ stays interpreted Python under mypyc (about 1.5 us a parse);
        mypyc compiles these object.__setattr__ calls of a frozen class to plain slot writes."""
        object.__setattr__(self, "province", province)
        object.__setattr__(self, "city", city)
        object.__setattr__(self, "district", district)
        object.__setattr__(self, "street", street)
        object.__setattr__(self, "community", community)
        object.__setattr__(self, "road", road)
        object.__setattr__(self, "number", number)
        object.__setattr__(self, "estate", estate)
        object.__setattr__(self, "building", building)
        object.__setattr__(self, "unit", unit)
        object.__setattr__(self, "floor", floor)
        object.__setattr__(self, "room", room)
        object.__setattr__(self, "extra", extra)
        object.__setattr__(self, "province_code", province_code)
        object.__setattr__(self, "city_code", city_code)
        object.__setattr__(self, "district_code", district_code)
        object.__setattr__(self, "inferred", inferred)
        object.__setattr__(self, "canonical", canonical)

    def components(self) -> dict[str, str | None]:
        """The standard components only (no codes, provenance or canonical text)."""
        return {name: getattr(self, name) for name in COMPONENTS}

    @property
    def place_key(self) -> str:
        """district | anchor | number | building | unit | room: the place, without province/city."""
        district = _current_district(self) or self.district or ""
        return "|".join((district, *self._detail_key()))

    @property
    def key_without_district(self) -> str:
        """city | anchor | number | building | unit | room: links a mention missing its district."""
        return "|".join((self.city_code or self.city or "", *self._detail_key()))

    def _detail_key(self) -> tuple[str, ...]:
        floor = self.floor if self.room is None else None
        return (
            _anchor(self),
            self.number or "",
            self.building or "",
            self.unit or "",
            f"{floor}F" if floor else "",
            self.room or "",
        )


def village_group(address: ParsedAddress) -> str | None:
    """The village group (``3组``) of a village address, else None; the parser reads it as the road."""
    road = address.road
    return road if road and road[-1] == "组" and address.community else None


def village_house(address: ParsedAddress) -> tuple[str, str] | None:
    """The (village, house number) an address names, else None.

    Rural doorplates number houses within the administrative village; the group (组) is an optional
    qualifier. A village address is a 村 with a house number and no road (a group at most); a
    ``团结新村353号`` with neither town nor group reads as an estate and its lone number as a building,
    and is the same house when nothing else (road, unit, room) is written.
    """
    community, number = address.community, address.number
    if community and community[-1] == "村" and number and (not address.road or village_group(address)):
        return community, number
    estate = address.estate
    if (estate and estate.endswith("新村") and not community and not address.road
            and not (address.unit or address.floor or address.room)):
        if number and not address.building:
            return estate, number
        if address.building and not number:
            return estate, address.building
    return None


def same_village_house(a: ParsedAddress, b: ParsedAddress) -> bool:
    """One village, one house number, and no two different groups written."""
    house = village_house(a)
    if house is None or house != village_house(b):
        return False
    group_a, group_b = village_group(a), village_group(b)
    return group_a is None or group_b is None or group_a == group_b


def _anchor(address: ParsedAddress) -> str:
    """What the house number counts along: road, else estate, else community, else street (a village
    house counts along its village, whether or not its group is written)."""
    if address.road:
        if address.road[-1] in "组队" and address.community:
            return "c:" + address.community
        return "r:" + address.road
    if address.estate:
        return "e:" + address.estate
    if address.community:
        return "c:" + address.community
    if address.street:
        return "s:" + address.street
    return ""


def _current_district(address: ParsedAddress) -> str | None:
    code = address.district_code
    return divisions().current_code(code) if code else None


# --- parsing ------------------------------------------------------------------------------------


def _prepare(raw: str) -> str:
    """Folded, cleaned text; most texts are already plain, and only their numerals need reading."""
    text = nfkc(raw)
    if _plain_re().fullmatch(text):
        numeral = _NUMERAL_CHAR_RE.search(text)
        if numeral is None:
            return text
        cut = max(numeral.start() - 2, 0)  # no numeral before; _NUMERAL_RE looks two characters back
        return text[:cut] + _NUMERAL_RE.sub(_numeral_digits, text[cut:])
    return _prepare_general(raw)


def _prepare_general(raw: str) -> str:
    text = _DROP_RE.sub("", fold(raw))
    text = _DASH_RE.sub("-", text).upper()
    text = _NUMERAL_RE.sub(_numeral_digits, text)
    return settle(_ORDINAL_RE.sub("", text))


def _numeral_digits(m: re.Match[str]) -> str:
    return chinese_to_digits(m.group())


def _strip_zeros(value: str | None) -> str | None:
    if not value or (value[0] != "0" and value.isascii() and value.isdigit()):
        return value  # the usual plain number: every 0 in it follows a digit
    return _LEADING_ZEROS_RE.sub("", value)


def _pick(hits: tuple[Division, ...], *, city: str | None, province: str | None, hub: str) -> Division | None:
    """The one division a name means in this context, or None when it stays ambiguous."""
    if city:
        scoped = [d for d in hits if city_code(d.code) == city]
    elif province:
        scoped = [d for d in hits if d.code[:2] == province[:2]]
    else:
        scoped = [d for d in hits if city_code(d.code) == hub] or list(hits)
    current = [d for d in scoped if d.current] or scoped
    return current[0] if len({d.code for d in current}) == 1 else None


@lru_cache(maxsize=1 << 12)
def _pick_county(name: str, city: str | None, province: str | None, hub: str) -> Division | None:
    """_pick for the counties of a name: the same few names and contexts recur in every address."""
    return _pick(divisions().levels["county"][0][name], city=city, province=province, hub=hub)


class _Reader:
    """One pass over a prepared address text; its attributes are the components read so far."""

    __slots__ = (
        "text", "pos", "hub", "table", *COMPONENTS, "extra", "province_code", "city_code", "district_code",
    )  # fmt: skip

    province: str | None
    city: str | None
    district: str | None
    street: str | None
    community: str | None
    road: str | None
    number: str | None
    estate: str | None
    building: str | None
    unit: str | None
    floor: str | None
    room: str | None
    extra: str | None
    province_code: str | None
    city_code: str | None
    district_code: str | None

    def __init__(self, text: str, hub_city: str) -> None:
        self.text, self.pos, self.hub, self.table = text, 0, hub_city, divisions()
        self.province = self.city = self.district = self.street = self.community = self.road = None
        self.number = self.estate = self.building = self.unit = self.floor = self.room = self.extra = None
        self.province_code = self.city_code = self.district_code = None

    def read(self) -> None:
        self._province()
        self._city()
        while self.text.startswith("区", self.pos):
            self.pos += 1  # 杭州市区: "the urban area", no district named (a doubled 区 too, or the
            # canonical text, which always starts with the city, would read differently)
        self._district()
        self._local()
        self._tail(self.text[self.pos :])

    # administrative levels come from the reference table
    def _follows(self, pos: int, prefix: str) -> bool:
        for level in ("city", "county"):
            hit = self.table.match(self.text, pos, level)
            if hit and any(d.code.startswith(prefix) for d in hit[1]):
                return True
        return False

    def _province(self) -> None:
        hit = self.table.match(self.text, 0, "province")
        if hit is None:
            return
        name, found = hit
        division = found[0]
        end = len(name)
        if name != division.name and not self._follows(end, division.code[:2]):
            return  # a bare 浙江 not followed by one of its cities is not a province
        self.province, self.province_code, self.pos = division.name, division.code, end

    def _city(self) -> None:
        hit = self.table.match(self.text, self.pos, "city")
        province = self.province_code
        if hit is not None:
            name, found = hit
            scoped = [d for d in found if not province or d.code[:2] == province[:2]]
            if scoped:
                division, end = scoped[0], self.pos + len(name)
                if (
                    name == division.name
                    or province
                    or self._follows(end, division.code[:4])
                    or _ZONE_RE.match(self.text, end)
                ):
                    self.city, self.city_code, self.pos = division.name, division.code, end
                    return
        if province and province[:2] in ("11", "12", "31", "50"):
            self.city, self.city_code = self.province, province[:2] + "0100"

    def _district(self) -> None:
        hit = self.table.match(self.text, self.pos, "county")
        if hit is not None:
            name = hit[0]
            explicit = self.city_code or self.province_code
            division = _pick_county(name, self.city_code, self.province_code, self.hub)
            in_hub = division is not None and city_code(division.code) == self.hub
            # with a city or province named, only its own districts; else the hub's, or any
            # unambiguous 3+ character name (2-character ones like 东区 are too often estate parts)
            if (division is not None and (explicit or in_hub or len(name) > 2)) or (
                division is None and not explicit and len(name) > 2
            ):
                self.district, self.pos = name, self.pos + len(name)
                self.district_code = division.code if division is not None else None
                return
        m = _ZONE_RE.match(self.text, self.pos)
        if m:
            self.district, self.pos = m.group(), m.end()

    # street, community, road, group, number: by their marker characters, in writing order
    def _local(self) -> None:
        text, level = self.text, 0
        while self.pos < len(text):
            pos = self.pos
            if level < 1 and _marked(text, pos, _STREET_MARKS) and (m := _STREET_RE.match(text, pos)):
                self.street, level = m.group(), 1
            elif (
                level < 2
                and _marked(text, pos, _COMMUNITY_MARKS)
                and (m := _COMMUNITY_RE.match(text, pos))
                and not (_is_estate_village(m.group()) and not self._village_context(m.end()))
            ):
                self.community, level = m.group(1) + _COMMUNITY_CANON.get(m.group(2), m.group(2)), 2
            elif level <= 3 and _road_ahead(text, pos) and (m := _ROAD_RE.match(text, pos)):
                self.road = (self.road or "") + m.group() if level == 3 else m.group()
                level = 3
            elif 2 <= level < 4 and self.community and (m := _GROUP_RE.match(text, pos)):
                self.road, level = (self.road or "") + m.group(), 4
            elif level < 5 and text[pos].isdecimal() and (m := _NUMBER_RE.match(text, pos)):
                self.number, level = _strip_zeros(m.group(1) or (m.group(2) + "弄")), 5
            elif level == 3 and (m := _BARE_NUMBER_RE.match(text, pos)):
                self.number, level = _strip_zeros(m.group(1)), 5
            else:
                return
            self.pos = m.end()

    def _village_context(self, end: int) -> bool:
        """A ``新村`` is a village, not a housing estate, after a town (镇/乡) or before a group (3组)."""
        street = self.street
        return bool(street and street[-1] in "镇乡") or _GROUP_AHEAD_RE.match(self.text, end) is not None

    def _tail(self, tail: str) -> None:
        while (
            tail
            and tail[-1] not in _ROOM_END
            and (note := _TRAILING_LETTERS_RE.search(tail) or _TRAILING_NOTE_RE.search(tail))
        ):
            self.extra, tail = note.group() + (self.extra or ""), tail[: note.start()]
        start = _tail_start(tail)
        short = "-" in tail and (_SHORTHAND3_RE.search(tail, start) or _SHORTHAND2_RE.search(tail, start))
        if short:  # 1-2-301, 1-301: building, unit, room
            parts = short.groupdict()
            b, u, f, r, rm, rest = parts.get("b"), parts.get("u"), None, parts.get("r"), None, tail[: short.start()]
        else:
            m = _TAIL_RE.search(tail, start)
            assert m is not None  # _TAIL_RE matches the empty string at the end
            b, u, f, r, rm = m.group("b", "u", "f", "r", "rm")
            rest = tail[: m.start()]
            if r and not rm and not any(ch.isdigit() for ch in r):
                self.extra, r = r + (self.extra or ""), None  # stray letters, not a room
        if r and rm in (None, "号") and not (b or u or f):
            # a lone trailing number: a building inside an estate, else a house number along the
            # road or in the village; bare digits with nothing around them are no address
            if rest or (self.number and rm is None):
                if rm or len(r) < 3:
                    b, r = r, None  # 东部软件园12 / XX小区12号: a building; 东部软件园1502: a room
            elif not self.number and (rm or self.road or self.community):
                self.number, r = _strip_zeros(r), None
            elif rm is None:
                self.extra, r = r + (self.extra or ""), None
        self.building, self.unit, self.floor, self.room = (
            _strip_zeros(b),
            _strip_zeros(u),
            _strip_zeros(f),
            _strip_zeros(r),
        )
        if rest:
            self.estate = rest

    # after reading
    def structured(self) -> bool:
        """Some component was read; a lone estate only when it ends like one (小区, 苑, 大厦 ...)."""
        if (
            self.province or self.city or self.district or self.street or self.community or self.road
            or self.number or self.building or self.unit or self.floor or self.room
        ):  # fmt: skip
            return True
        return self.estate is not None and _ESTATE_SUFFIX_RE.search(self.estate) is not None

    def lane_house(self) -> None:
        """``123弄4号楼`` is house 4 of lane 123, written elsewhere as ``123弄4号``: one form, the house number."""
        lane, building = self.estate, self.building
        if lane and building and not self.number and _LANE_RE.fullmatch(lane):
            self.number, self.estate, self.building = _strip_zeros(lane + building), None, None

    def fill(self) -> tuple[str, ...]:
        """Province/city/district from the reference table where the text leaves them out."""
        table = self.table
        district = False
        if self.district_code and not self.city_code:
            self.city_code = city_code(self.district_code)
        if not (self.city_code or self.province_code or self.district) and (
            self.street or self.community or self.road or self.number or self.estate
            or self.building or self.unit or self.floor or self.room
        ):  # fmt: skip
            self.city_code = self.hub  # nothing else named: the hub's own city
        if self.city_code and not self.district and self.street:
            found = table.street_district(self.city_code, self.street)
            if found:
                self.district_code, self.district, district = found, table.name_of(found), True
        anchor = self.city_code or self.district_code
        if anchor and not self.province_code:
            self.province_code = province_code(anchor)
        province = city = False
        if self.province_code and not self.province:
            self.province, province = table.name_of(self.province_code), True
        if self.city_code and not self.city:
            self.city, city = table.name_of(self.city_code), True
        return _INFERRED[province, city, district]

    def result(self) -> ParsedAddress:
        """The parse; every argument is spelled out, since mypyc calls only those natively (not ``*parts``)."""
        inferred = self.fill()
        canonical = _canonical(
            self.province, self.city, self.district, self.street, self.community, self.road, self.number,
            self.estate, self.building, self.unit, self.floor, self.room,
        )  # fmt: skip
        # the parts a reader cuts out of the text, shared: a city's hundreds of thousands of address
        # texts name a few thousand roads, estates and numbers (the names and codes of divisions come
        # from the reference table, shared already)
        return ParsedAddress(
            self.province, self.city, self.district, _shared(self.street), _shared(self.community),
            _shared(self.road), _shared(self.number), _shared(self.estate), _shared(self.building),
            _shared(self.unit), _shared(self.floor), _shared(self.room), self.extra,
            _shared(self.province_code), _shared(self.city_code), _shared(self.district_code), inferred, canonical,
        )  # fmt: skip


#: Address parts kept once (`_shared`), at most this many before the table starts afresh (as `shared`).
PARTS_LIMIT: Final = 1 << 18

#: The parts' own table, apart from `shared`'s: a city's parts are a few thousand roads, estates,
#: numbers and rooms, so this table stays small and a probe stays in the CPU's caches, where one in
#: the shared texts (every name, ID and address text of the city) mostly misses them.
_PARTS: Final[dict[str, str]] = {}


def _shared(part: str | None) -> str | None:
    """One string object per distinct address part: a parse keeps its parts for the life of the engine
    state, and equal parts cut from different texts are otherwise distinct (one probe, as `shared`)."""
    if part is None:
        return None
    found = _PARTS.setdefault(part, part)
    if found is part and len(_PARTS) > PARTS_LIMIT:  # new, and one too many: keep only it
        _PARTS.clear()
        _PARTS[part] = part
    return found


#: Inferred components by (province, city, district) inferred, in writing order.
_INFERRED: Final = {
    (p, c, d): tuple(name for name, on in (("province", p), ("city", c), ("district", d)) if on)
    for p in (False, True)
    for c in (False, True)
    for d in (False, True)
}


def _tail_start(tail: str) -> int:
    """Where the tail regexes' search may start: they match to the end, so only in the run of their
    characters that ends the tail (one search, not one attempt at every character of an estate name)."""
    start = len(tail.rstrip(_TAIL_CHARS))
    return 0 if start and tail[start - 1].isdecimal() else start  # \d goes beyond ASCII: search it all


def _marked(text: str, pos: int, marks: tuple[re.Pattern[str], int]) -> bool:
    """Whether a marker occurs within reach of ``pos``; the regex needing one cannot match if not."""
    marker, reach = marks
    return marker.search(text, pos, pos + reach) is not None


def _road_ahead(text: str, pos: int) -> bool:
    """_marked for roads, whose 3号路 form has a number of any length before its marker."""
    marker, reach = _ROAD_MARKS
    found = marker.search(text, pos)  # 号路 and 号大街 have one too
    return found is not None and (found.start() < pos + reach or _NUMBERED_ROAD_RE.search(text, pos) is not None)


def _is_estate_village(text: str) -> bool:
    """朝晖新村 is a housing estate, not a village (新村村 is a village)."""
    return text.endswith("新村") and not text.endswith("新村村")


_LANE_RE: Final = re.compile(r"\d+弄")


def canonical_text(parts: dict[str, str | None]) -> str:
    """Deterministic text of the components, in writing order with unified markers."""
    return _canonical(*(parts[name] for name in COMPONENTS))


def _canonical(
    province: str | None, city: str | None, district: str | None, street: str | None, community: str | None,
    road: str | None, number: str | None, estate: str | None, building: str | None, unit: str | None,
    floor: str | None, room: str | None,
) -> str:  # fmt: skip
    out = [province or ""]
    if city != province:
        out.append(city or "")
    out += [district or "", street or "", community or "", road or ""]
    if number:
        out.append(number if number.endswith("弄") else number + "号")
    out.append(estate or "")
    if building:
        out.append(building + "幢")
    if unit:
        out.append(unit + "单元")
    if floor:
        out.append(floor + "层")
    if room:
        out.append(room + "室")
    return "".join(out)


@lru_cache(maxsize=CACHE_SIZE)
def parse_address(raw: str | None, city_code: str = "330100") -> ParsedAddress | None:
    """Parse a free-text address; ``city_code`` is the hub's city (fills an omitted province/city)."""
    return None if raw is None else read_address(raw, city_code)


def read_address(raw: str, city_code: str) -> ParsedAddress | None:
    """`parse_address` without its cache, for callers that keep their own (`MentionReader`)."""
    text = _prepare(raw)
    if not text:
        return None
    reader = _Reader(text, city_code)
    reader.read()
    if not reader.structured():
        return ParsedAddress(extra=text, canonical=text)
    reader.lane_house()
    return reader.result()


# --- comparison ---------------------------------------------------------------------------------

_TEXT_PARTS: Final = ("street", "community", "road", "estate")
_WEIGHTS: Final = {
    "district": 1.0, "street": 0.5, "community": 0.5, "road": 2.0, "number": 2.0, "estate": 1.5,
    "building": 1.5, "unit": 1.0, "floor": 0.5, "room": 1.5,
}  # fmt: skip


def _comparable(address: ParsedAddress, name: str) -> str | None:
    value: str | None = getattr(address, name)
    if value is None:
        return None
    if name == "district":
        return _current_district(address) or value
    if name == "street":
        return _STREET_BASE_RE.sub("", value) or value
    if name == "community":
        return _COMMUNITY_BASE_RE.sub("", value) or value
    if name == "estate":
        return value.removesuffix("小区") or value
    return value


def addresses_compatible(a: ParsedAddress | None, b: ParsedAddress | None) -> bool:
    """Known components agree and none conflict, and they share a road, estate or community.

    A component missing on one side (a district left out, no room) is compatible; two addresses
    with nothing locating in common are not, since agreement on nothing identifies no place.
    """
    if a is None or b is None:
        return False
    if a.city_code and b.city_code and a.city_code != b.city_code:
        return False
    shared = False
    for name in ("district", *COMPONENTS[3:]):
        va, vb = _comparable(a, name), _comparable(b, name)
        if va is None or vb is None:
            continue
        if va != vb:
            return False
        shared = shared or name in ("road", "estate", "community")
    return shared


def address_similarity(a: ParsedAddress | None, b: ParsedAddress | None) -> float:
    """Weighted agreement of the components both sides know, in [0, 1]; one-sided ones cost a little."""
    if a is None or b is None:
        return 0.0
    if a.city_code and b.city_code and a.city_code != b.city_code:
        return 0.0
    score = total = 0.0
    for name, weight in _WEIGHTS.items():
        va, vb = _comparable(a, name), _comparable(b, name)
        if va is None and vb is None:
            continue
        if va is None or vb is None:
            total += weight * 0.25
            continue
        total += weight
        if va == vb:
            score += weight
        elif name in _TEXT_PARTS:
            score += weight * ratio(va, vb) / 100.0 * 0.8
    if total == 0.0:
        if a.extra and b.extra:
            return ratio(a.extra, b.extra) / 100.0
        return 0.0
    return score / total


#: Field names, for callers that iterate (e.g. survivorship of address components).
FIELD_NAMES: Final = tuple(f.name for f in fields(ParsedAddress))
