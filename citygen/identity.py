"""Identity numbers that are valid by construction: resident IDs (GB 11643), legacy 15-digit IDs,
other documents, unified social credit codes (GB 32100), and phone numbers.

The population is generated in chunks (possibly in parallel), so uniqueness comes from giving each
chunk its own slice of every number space — never from luck and never from shared state: chunk c
draws resident-ID sequence pairs ≡ c (mod chunks), and its counters start at c × capacity and go
through a bijective scramble, so numbers look random but cannot collide.
"""

from __future__ import annotations

import random
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

import stdnum
from stdnum.cn import ric, uscc

from citygen.gazetteer import words

_MOBILE_PREFIXES = words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 "
    "156 157 158 159 166 173 177 180 181 182 183 185 186 187 "
    "188 189 191 195 198 199"
)
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the GB 32100 alphabet (no I O S V Z)
_CODE_SPACE = 30**6
COMPANY_LANDLINE_DIGIT = "8"
TRADER_LANDLINE_DIGIT = "7"



def scramble(n: int, modulus: int, multiplier: int = 7_654_321) -> int:
    """A bijection of [0, modulus): counters that do not look like counters. The multiplier must be
    coprime to the modulus; for a power of ten, digit reversals between affine steps make consecutive
    counters differ in leading and trailing digits alike."""
    x = (n * multiplier + 1_234_567) % modulus
    width = len(str(modulus)) - 1
    if modulus == 10**width:
        for a, b in ((3_141_593, 2_718_281), (1_618_033, 1_414_213)):
            x = (int(f"{x:0{width}d}"[::-1]) * a + b) % modulus
    return x


def resident_id(region: str, birth: date, sequence: int) -> str:
    """The 18-character resident ID; `sequence` is 0..999 and its parity is the gender (odd = male)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def legacy_id(id18: str) -> str:
    """The 15-digit first-generation ID the 18-digit one was converted from (two-digit year, no check)."""
    return id18[:6] + id18[8:17]


def upgrade_legacy(id15: str) -> str:
    """The 18-digit ID of a 15-digit one (all 15-digit IDs are of people born 19xx)."""
    body = id15[:6] + "19" + id15[6:]
    return body + ric.calc_check_digit(body + "0")


def is_valid_id(value: str) -> bool:
    """Checksum, birth date and birth place as python-stdnum checks them (its place check can raise
    KeyError for codes newer than its data: that counts as invalid)."""
    try:
        return ric.is_valid(value)
    except Exception:
        return False


@lru_cache(maxsize=1)
def _code_table() -> dict[str, tuple[tuple[int, int], ...]]:
    """python-stdnum's GB/T 2260 history (cn/loc.dat): code → years it was assigned (open ends filled)."""
    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    table: dict[str, tuple[tuple[int, int], ...]] = {}
    province = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        code, _, rest = line.strip().partition(" ")
        value = rest.partition('county="')[2].rstrip('"')
        spans = []
        for part in value.split(","):
            if not part.startswith("["):
                spans = [(0, 9999)]
                break
            first, _, last = part[1:].split("]")[0].partition("-")
            spans.append((int(first or 0), int(last or 9999)))
        table[province + code] = tuple(spans)
    return table


@cache
def _codes_under(prefix: str) -> tuple[str, ...]:
    """County-level codes starting with a province or prefecture prefix, in order."""
    return tuple(c for c in sorted(_code_table()) if c.startswith(prefix) and not c.endswith("00"))


def region_valid(region: str, year: int) -> bool:
    """Whether python-stdnum accepts `region` for someone born in `year` (it checks the code existed then)."""
    return any(first <= year <= last for first, last in _code_table().get(region, ()))


@cache
def usable_region(region: str, year: int) -> str:
    """`region` if a validator will accept it for that birth year, else the nearest code it accepts: same
    prefecture first, then same province. Keeps every generated "valid" ID valid for python-stdnum, whose
    table says e.g. 上城区 330102 exists only from 1983 and knows no 临平区 330113 (IDs were issued from
    1984 on, so real IDs of older people can fail that check; ours never do)."""
    if region_valid(region, year):
        return region
    # Chongqing (50) was part of Sichuan (51) before 1997
    provinces = (region[:2], "51") if region.startswith("50") else (region[:2],)
    for prefix in (region[:4], *provinces):
        for code in _codes_under(prefix):
            if region_valid(code, year):
                return code
    raise ValueError(f"no region code near {region} valid for {year}")


def _org_code_check(body8: str) -> str:
    """GB 11714 check character of an organization code body (8 characters of 0-9A-Z)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code(region: str, kind: str, index: int) -> str:
    """The unified social credit code of business number `index` (distinct indexes, distinct codes):
    9 (market regulation) + class (1 company, 2 sole trader) + region + a new-style organization
    code (MA + 6 characters + its GB 11714 check) + the GB 32100 check character."""
    n = scramble(index, _CODE_SPACE, 282_475_249)
    body = ""
    for _ in range(6):
        n, r = divmod(n, 30)
        body += _CODE_CHARS[r]
    org = "MA" + body
    code17 = f"9{'1' if kind == 'company' else '2'}{region}{org}{_org_code_check(org)}"
    return code17 + uscc.calc_check_digit(code17)


def business_landline(area_code: str, digit: str, index: int) -> str:
    return f"{area_code}{digit}{scramble(index, 10**7):07d}"


class IdentityAllocator:
    """Hands out identity numbers inside one chunk's slice of each number space."""

    def __init__(self, seed: int, chunk: int = 0, chunks: int = 1, capacity: int = 1_000_000) -> None:
        if chunks > 250:
            raise ValueError("at most 250 chunks share the resident-ID sequence space")
        self._rng = random.Random(f"{seed}:identity:{chunk}")
        self.chunk, self.chunks, self.capacity = chunk, chunks, capacity
        self._issued: set[int] = set()
        self._counters: dict[str, int] = {}

    def _next(self, kind: str, per_person: int = 1) -> int:
        local = self._counters.get(kind, 0)
        self._counters[kind] = local + 1
        return self.chunk * self.capacity * per_person + local

    def resident_id(self, region: str, birth: date, gender: str, near: int | None = None) -> tuple[str, int]:
        """A fresh resident ID and its sequence; `near` asks for a sequence close to another's (twins).

        The sequence is 2m + gender bit; this chunk owns the m ≡ chunk (mod chunks)."""
        region = usable_region(region, birth.year)
        bit = 1 if gender == "male" else 0
        slots = range(self.chunk % self.chunks, 500, self.chunks)
        if near is not None:  # the next free slot after the sibling's
            start = slots.index(near // 2) if near // 2 in slots else 0
        else:
            start = self._rng.randrange(len(slots))
        for step in range(len(slots)):
            seq = 2 * slots[(start + step) % len(slots)] + bit
            body = int(f"{region}{birth:%Y%m%d}{seq:03d}")
            if body not in self._issued:
                self._issued.add(body)
                return resident_id(region, birth, seq), seq
        raise RuntimeError(f"no free resident ID sequence for {region} {birth}")

    def _doc(self, kind: str, digits: int) -> str:
        return f"{scramble(self._next(kind), 10**digits):0{digits}d}"

    def passport(self) -> str:
        """A Chinese ordinary passport number (E + 8 digits)."""
        return "E" + self._doc("passport", 8)

    def foreign_passport(self) -> str:
        number = self._doc("foreign", 7)
        letters = "ABCGKLMPRSTX"
        return letters[int(number[0])] + letters[int(number[-1])] + number

    def hk_macau_permit(self) -> str:
        number = self._doc("hk_macau", 8)
        return ("H" if int(number[-1]) < 7 else "M") + number

    def taiwan_permit(self) -> str:
        return self._doc("taiwan", 8)

    def other_document(self) -> str:
        """A non-ID document a clinic may file under code 02 (officer's card, household register number)."""
        number = self._doc("other", 7)
        return f"军字第{number}号" if int(number[-1]) < 5 else f"HJ{number}{number[:3]}"

    def mobile(self) -> str:
        """A mobile number no one else has: a bijective scramble of this chunk's counter."""
        n = self._next("mobile", 4)
        prefix = _MOBILE_PREFIXES[(n * 7) % len(_MOBILE_PREFIXES)]
        return f"{prefix}{scramble(n, 100_000_000, 48271):08d}"

    def landline(self, area_code: str) -> str:
        """A household landline with area code, digits only (local number 8 digits, first digit 2-6)."""
        n = self._next("landline")
        return f"{area_code}{2 + n % 5}{scramble(n, 10**7, 69621):07d}"
