"""Businesses: companies that employ people and sole traders (个体工商户), each with a valid unified
social credit code, a registered address, and a legal representative who is one of the citizens.

Company j is a pure function of (seed, j) — name, code, address, phone — so every chunk of the
population (generated in parallel) agrees on who employer j is without sharing state. Each chunk
owns a slice of the companies for assigning legal representatives, so no company gets two.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from citygen.addresses import City, Place
from citygen.gazetteer import words
from citygen.identity import (
    COMPANY_LANDLINE_DIGIT,
    TRADER_LANDLINE_DIGIT,
    business_landline,
    credit_code,
    scramble,
)

_BRAND_CHARS = "华信恒生博远鼎盛中海聚光银江天创智新达源泰宏兴隆科瑞安诚德正明通汇联金星宇航众和嘉禾美阳"
_INDUSTRIES = words(
    "科技 网络科技 信息技术 电子商务 贸易 建筑工程 餐饮管理 物业管理 文化传媒 医疗器械 汽车服务 教育科技 "
    "供应链管理 装饰工程 实业 生物科技 智能科技 电子"
)
_SHOP_KINDS = words("小吃店 便利店 五金店 理发店 水果店 服装店 面馆 快餐店 修车铺 茶叶店 副食店 烟酒店")
_BRANDS = len(_BRAND_CHARS) * (len(_BRAND_CHARS) - 1)
_NAME_SPACE = _BRANDS * len(_INDUSTRIES)
_OVERFLOW = 10_000_000  # company indexes beyond the employer pool: chunk × 10^6 + k above this
_TRADER_CODES = 300_000_000  # credit-code index space of sole traders starts here


@dataclass(slots=True, eq=False)
class Organization:
    """One business as the commerce register knows it."""

    oid: str  # ground-truth organization id
    name: str
    short_name: str  # how employees often write it (字号 + industry)
    kind: str  # company | sole_trader
    type_label: str  # 有限责任公司 | 股份有限公司 | 个体工商户
    credit_code: str
    place: Place
    landline: str
    established: date
    authority: str


class OrganizationPool:
    """Employers are drawn with a heavy skew (a few large employers, many small ones)."""

    def __init__(self, city: City, seed: int, persons: int, chunk: int = 0, chunks: int = 1) -> None:
        self.city = city
        self.seed = seed
        self.size = max(30, persons // 40)
        self.chunk = chunk
        self._share = math.ceil(self.size / chunks)
        self._companies: dict[int, Organization] = {}
        self._reps = 0
        self._sole_traders = 0

    def company(self, index: int) -> Organization:
        org = self._companies.get(index)
        if org is None:
            org = self._make_company(index)
            self._companies[index] = org
        return org

    def employer(self, rng: random.Random) -> Organization:
        return self.company(int(self.size * rng.random() ** 2.2))

    def next_company_for_rep(self) -> Organization:
        """A company that has no legal representative yet: from this chunk's slice of the employer pool,
        then from companies beyond it (registered here, employing no one we know)."""
        k = self._reps
        self._reps += 1
        j = self.chunk * self._share + k
        if k >= self._share or j >= self.size:
            j = _OVERFLOW + self.chunk * 1_000_000 + k
        return self.company(j)

    def _make_company(self, index: int) -> Organization:
        rng = random.Random(f"{self.seed}:org:{index}")
        if index >= _OVERFLOW:  # compact the overflow range so names and phones stay in their spaces
            chunk, k = divmod(index - _OVERFLOW, 1_000_000)
            compact = self.size + chunk * 20_000 + k
        else:
            compact = index
        n = scramble(compact % _NAME_SPACE, _NAME_SPACE, 7919)
        brand_index, industry = divmod(n, len(_INDUSTRIES))
        first, second = divmod(brand_index, len(_BRAND_CHARS) - 1)
        second += second >= first
        brand = _BRAND_CHARS[first] + _BRAND_CHARS[second]
        level = compact // _NAME_SPACE  # beyond the name space: the district makes the name unique
        districts = self.city.districts
        qualifier = "" if level == 0 else districts[(level - 1) % len(districts)].name[:-1] + \
            ("" if level <= len(districts) else str(level))
        listed = index < self.size // 50 and rng.random() < 0.5
        city_short = self.city.spec.name[:-1]
        name = f"{city_short}{qualifier}{brand}{_INDUSTRIES[industry]}{'股份有限公司' if listed else '有限公司'}"
        place = self.city.office(rng)
        return Organization(
            oid=f"O-C{index:08d}",
            name=name,
            short_name=brand + _INDUSTRIES[industry],
            kind="company",
            type_label="股份有限公司" if listed else "有限责任公司",
            credit_code=credit_code(place.district.code, "company", index),
            place=place,
            landline=business_landline(self.city.area_code, COMPANY_LANDLINE_DIGIT, compact),
            established=date(1996, 1, 1) + timedelta(days=rng.randint(0, 365 * 28)),
            authority=self._authority(place, rng),
        )

    def sole_trader(self, rep_name: str, home: Place, rng: random.Random) -> Organization:
        """A 个体工商户 named after its owner; a third are registered at the owner's home."""
        n = self.chunk * 40_000 + self._sole_traders
        self._sole_traders += 1
        place = home if rng.random() < 0.3 else self.city.shop(rng)
        name = f"{place.district.name}{rep_name.replace('·', '')}{rng.choice(_SHOP_KINDS)}"
        return Organization(
            oid=f"O-S{n:09d}",
            name=name,
            short_name=name,
            kind="sole_trader",
            type_label="个体工商户",
            credit_code=credit_code(place.district.code, "sole_trader", _TRADER_CODES + n),
            place=place,
            landline=business_landline(self.city.area_code, TRADER_LANDLINE_DIGIT, n),
            established=date(2005, 1, 1) + timedelta(days=rng.randint(0, 365 * 19)),
            authority=self._authority(place, rng),
        )

    def _authority(self, place: Place, rng: random.Random) -> str:
        if rng.random() < 0.25:
            return f"{self.city.spec.name}市场监督管理局"
        return f"{self.city.spec.name}{place.district.name}市场监督管理局"
