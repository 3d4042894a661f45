"""A synthetic but plausible city: districts (real codes), streets, communities, roads, estates (小区)
with buildings/units/rooms, villages and office buildings, and the places people live and work in.

A `Place` is one physical place (one flat, one village house, one office suite). Its `id` is the
ground-truth address id: every written variant of its address maps to it. Everything is built from
a `random.Random` seeded by the run seed, so the same seed gives the same city.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cached_property

from citygen.gazetteer import CITIES, CitySpec, DistrictSpec, words
from citygen.sampling import Weighted

_STEMS = words(
    "翠苑 华星 金都 阳光 绿城 桂花 西溪 锦绣 和睦 东方 明珠 春江 紫金 蓝天 碧水 香樟 枫林 丹桂 "
    "玉泉 望江 钱塘 湖畔 秋水 云栖 梅苑 竹海 兰亭 荷花 星光 新城 朝阳 嘉苑 恒隆 万家 景湖 清水 "
    "白云 清泉 金色 海华 宝龙 御园 上品 悦府 龙湖 公元 江南 天都 凯旋 采荷 红梅 南苑 北苑 九堡 "
    "丁桥 三塘 大关 德胜 左岸 雅苑 昆仑 盛世 世纪 之江 金沙 翡翠 香溢 浙大 文鼎 嘉绿 古荡 新湖 "
    "湖滨 米市 朝晖 潮鸣 长庆 闸弄 四季 笕桥 彭埠 丁兰 半山 祥符 康桥 蒋村 留下 转塘 双浦 西兴 "
    "长河 浦沿 宁围 新街 蜀山 北干 城厢 闻堰 良渚 仓前 五常 闲林 中泰 仁和 瓶窑 富春 银湖 东洲 "
    "锦城 玲珑 青山 临平 南湖 星桥 乔司 运河 崇贤 塘栖 白杨 下沙 河庄 义蓬 新湾 临江 前进 紫荆 "
    "芳草 杨柳 银杏 松涛 柏林 海棠 芙蓉 牡丹 山水 天阳 中天 滨江 九溪 玫瑰 绿洲 明月 晓风 书香 "
    "学府 御景 溪岸 名苑 汇锦 金地 华府 和家 国信 东海 耀江 广厦 宋都 坤和 金成 德信"
)
_ESTATE_SUFFIXES = words(
    "小区 花园 家园 苑 新村 公寓 嘉园 府 城 华庭 雅苑 一区 二区 三区 东区 西区 北区 南区 名邸 里"
)
_ROAD_SUFFIXES = ("路", "路", "路", "街", "大道", "东路", "西路", "中路", "一路", "二路")
_PARKS = words(
    "东部软件园 科技园 创业园 数字大厦 国际大厦 商务中心 金融中心 智慧谷 信息港 创意园 时代广场 发展大厦"
)
_VILLAGE_STEMS = words(
    "明朗 新联 永兴 东恩 凤凰 杨家 沈家 陈家 李家 前进 红旗 长安 联丰 合兴 共和 新华 民主 光明 "
    "友谊 团结 华丰 塘头 桥头 山后 溪口 石门 上泉 下塘 后坞 外沙"
)


def _name_stems(rng: random.Random, count: int) -> list[str]:
    """Distinct two-character stems; beyond the curated list, invented by recombining halves."""
    stems = list(_STEMS)
    rng.shuffle(stems)
    seen = set(stems)
    firsts = [s[0] for s in _STEMS]
    seconds = [s[1] for s in _STEMS]
    while len(stems) < count:
        s = rng.choice(firsts) + rng.choice(seconds)
        if s not in seen:
            seen.add(s)
            stems.append(s)
    return stems


@dataclass(frozen=True, slots=True)
class Street:
    """A 街道 or 镇, with its communities (社区) and, for towns, villages (村)."""

    name: str
    communities: tuple[str, ...]
    villages: tuple[str, ...]

    @property
    def is_town(self) -> bool:
        return self.name.endswith("镇")


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str
    weight: float
    rural: bool
    streets: tuple[Street, ...]
    roads: tuple[str, ...]
    lineage: tuple[tuple[int, int, str], ...]


@dataclass(frozen=True, slots=True)
class Estate:
    """A 小区: at a road number, with buildings of several units and floors."""

    index: int
    name: str
    district: District
    street: Street
    community: str
    road: str
    number: int
    buildings: int
    units: int
    floors: int
    rooms_per_floor: int


@dataclass(frozen=True, slots=True)
class Place:
    """One physical place; `id` is the ground-truth address id shared by every spelling of it."""

    id: str
    kind: str  # "flat" | "house" | "office" | "shop"
    district: District
    street: Street
    community: str
    road: str | None = None
    number: int | None = None
    estate: str | None = None  # 小区 name (flat) or park/building name (office), may be absent
    building: int | None = None
    unit: int | None = None
    room: int | None = None
    village: str | None = None
    group: int | None = None

    def canonical(self, city: City) -> str:
        """The full standard form, as a careful clerk would write it."""
        head = f"{city.prefix}{self.district.name}"
        if self.kind == "house":
            return f"{head}{self.street.name}{self.village}{self.group}组{self.number}号"
        text = head + f"{self.road}{self.number}号"
        if self.estate:
            text += self.estate
        if self.building is not None:
            text += f"{self.building}幢"
        if self.unit is not None:
            text += f"{self.unit}单元"
        if self.room is not None:
            text += f"{self.room}室"
        return text


#: House numbers of a village that numbers its houses through the village, and of one group of a
#: village that numbers each group on its own (so the same number recurs in its groups).
VILLAGE_HOUSES = 400
GROUP_HOUSES = 40


@dataclass
class City:
    """The generated city; places are made on demand so memory does not grow with the population."""

    spec: CitySpec
    districts: tuple[District, ...]
    estates: dict[str, list[Estate]]
    _district_pick: Weighted[District] | None = None
    per_group_villages: float = 0.0  # share of villages that number houses per group, not per village

    @cached_property
    def shared_names(self) -> frozenset[str]:
        """Road and estate names that exist in more than one district: ambiguous without the district."""
        seen: dict[str, set[str]] = {}
        for district in self.districts:
            for name in (*district.roads, *(e.name for e in self.estates[district.code])):
                seen.setdefault(name, set()).add(district.code)
        return frozenset(name for name, codes in seen.items() if len(codes) > 1)

    @cached_property
    def estate_gates(self) -> frozenset[tuple[str, str, int]]:
        """(district, road, number) of every estate, so offices and shops get other numbers."""
        return frozenset((e.district.code, e.road, e.number) for plist in self.estates.values() for e in plist)

    @property
    def prefix(self) -> str:
        """Province + city, as written at the start of a full address."""
        return (self.spec.province or "") + self.spec.name

    @property
    def area_code(self) -> str:
        return self.spec.area_code

    def pick_district(self, rng: random.Random) -> District:
        if self._district_pick is None:
            self._district_pick = Weighted(self.districts, [d.weight for d in self.districts])
        return self._district_pick.pick(rng)

    def home(self, rng: random.Random, village_share: float, district: District | None = None) -> Place:
        """A place a household lives in: a flat in an estate, or a village house in a rural district."""
        district = district or self.pick_district(rng)
        if district.rural and rng.random() < village_share:
            towns = [s for s in district.streets if s.is_town and s.villages]
            if towns:
                street = rng.choice(towns)
                village = rng.choice(street.villages)
                return self.village_house(district, street, village, rng)
        estates = self.estates[district.code]
        # a few big estates hold many people: a skewed pick
        estate = estates[min(len(estates) - 1, int(len(estates) * rng.random() ** 1.6))]
        return self.flat(estate, rng)

    def village_numbers_per_group(self, district: District, village: str) -> tuple[bool, int]:
        """Whether a village numbers its houses per group (the rare kind), and how many groups it has;
        the same for every run of this city."""
        village_rng = random.Random(f"village:{district.code}:{village}")
        groups = village_rng.randint(4, 12)
        return village_rng.random() < self.per_group_villages, groups

    def village_house(self, district: District, street: Street, village: str, rng: random.Random) -> Place:
        """A house of a village. Most villages number houses through the village (the group, 组, is a
        qualifier the house number already implies: the place is village + number); a few number each
        group on its own, so one number names a house in each group (the place is village + group + number)."""
        per_group, groups = self.village_numbers_per_group(district, village)
        if per_group:
            group, number = rng.randint(1, groups), rng.randint(1, GROUP_HOUSES)
            pid = f"{district.code}-V-{street.name}-{village}-{group}-{number}"
        else:
            number = rng.randint(1, VILLAGE_HOUSES)
            group = 1 + (number - 1) * groups // VILLAGE_HOUSES  # groups hold consecutive numbers
            pid = f"{district.code}-V-{street.name}-{village}-{number}"
        return Place(pid, "house", district, street, village, number=number, village=village, group=group)

    def flat(self, estate: Estate, rng: random.Random) -> Place:
        building = rng.randint(1, estate.buildings)
        unit = rng.randint(1, estate.units) if estate.units > 1 else None  # single-unit: no 单元
        room = rng.randint(1, estate.floors) * 100 + rng.randint(1, estate.rooms_per_floor)
        pid = f"{estate.district.code}-E{estate.index:05d}-{building}-{unit or 1}-{room}"
        return Place(pid, "flat", estate.district, estate.street, estate.community, estate.road,
                     estate.number, estate.name, building, unit, room)

    def office(self, rng: random.Random) -> Place:
        """A business address: a suite in one of a few office buildings on a road, maybe in a named park."""
        district = self.pick_district(rng)
        road = rng.choice(district.roads)
        # offices cluster in a few buildings per road, the same ones in every run of this city
        number = random.Random(f"office:{district.code}:{road}:{rng.randrange(4)}").randint(1, 999)
        while (district.code, road, number) in self.estate_gates:  # never an estate's gate number
            number = number % 999 + 1
        park_rng = random.Random(f"park:{district.code}:{road}:{number}")
        park = park_rng.choice(_PARKS) if park_rng.random() < 0.6 else None
        if park:
            park = park_rng.choice(_STEMS) + park
        building = park_rng.randint(1, 8) if park else None
        room = rng.randint(1, 20) * 100 + rng.randint(1, 20)
        street = park_rng.choice(district.streets)
        pid = f"{district.code}-O-{road}-{number}-{building or 0}-{room}"
        return Place(pid, "office", district, street, street.communities[0], road, number, park,
                     building, None, room)

    def shop(self, rng: random.Random) -> Place:
        """A street-front shop (个体工商户): road and number only."""
        district = self.pick_district(rng)
        road = rng.choice(district.roads)
        number = rng.randint(1, 600)
        while (district.code, road, number) in self.estate_gates:
            number = number % 600 + 1
        street = rng.choice(district.streets)
        pid = f"{district.code}-S-{road}-{number}"
        return Place(pid, "shop", district, street, street.communities[0], road, number)


def _streets(rng: random.Random, spec: DistrictSpec, stems: list[str]) -> tuple[Street, ...]:
    names = list(spec.streets)
    if not names:
        count = rng.randint(6, 14)
        names = [f"{stems.pop()}街道" for _ in range(count)]
        if spec.rural:
            names += [f"{stems.pop()}镇" for _ in range(rng.randint(3, 6))]
    streets = []
    taken: set[str] = set()  # village names are unique within a district (not across districts)
    for name in names:
        communities = tuple(f"{stems.pop()}社区" for _ in range(rng.randint(3, 9)))
        villages: list[str] = []
        if name.endswith("镇"):
            for _ in range(rng.randint(4, 10)):
                village = f"{rng.choice(_VILLAGE_STEMS)}{rng.choice(('', '', '新', '东', '西'))}村"
                if village not in taken:
                    taken.add(village)
                    villages.append(village)
        streets.append(Street(name, communities, tuple(villages)))
    return tuple(streets)


def _roads(rng: random.Random, spec: DistrictSpec, needed: int, stems: list[str]) -> tuple[str, ...]:
    """Real roads first, then invented ones; some stems get both a 路 and a 街 (different roads)."""
    roads = list(spec.roads)
    while len(roads) < needed:
        stem = stems.pop()
        suffix = rng.choice(_ROAD_SUFFIXES)
        roads.append(stem + suffix)
        if suffix == "路" and rng.random() < 0.15:
            roads.append(stem + "街")  # a truly different road with a confusable name
    return tuple(dict.fromkeys(roads))


def build_city(code: str, persons: int, seed: int, per_group_villages: float = 0.0) -> City:
    """The city for a run: enough estates for `persons` people (about 700 residents per 小区);
    `per_group_villages` of the villages number their houses per group."""
    spec = CITIES.get(code)
    if spec is None:
        raise ValueError(f"unknown city {code}; known: {', '.join(sorted(CITIES))}")
    rng = random.Random(f"{seed}:city:{code}")
    total_weight = sum(d.weight for d in spec.districts)
    total_estates = max(len(spec.districts) * 3, math.ceil(persons / 700))
    stems = _name_stems(rng, 4 * total_estates + 4000)
    street_stems = list(stems)
    rng.shuffle(street_stems)
    road_stems = list(stems)
    rng.shuffle(road_stems)
    districts: list[District] = []
    estates: dict[str, list[Estate]] = {}
    used_names: set[str] = set()
    earlier: list[str] = []  # estate names of the districts built so far
    index = 0
    for dspec in spec.districts:
        share = max(3, round(total_estates * dspec.weight / total_weight))
        streets = _streets(rng, dspec, street_stems)
        roads = _roads(rng, dspec, max(len(dspec.roads), share // 6 + 6), road_stems)
        lineage = dspec.lineage or ((1900, 2100, dspec.code),)
        district = District(dspec.code, dspec.name, dspec.weight, dspec.rural, streets, roads, lineage)
        districts.append(district)
        used_numbers: set[tuple[str, int]] = set()
        plist: list[Estate] = []
        here: set[str] = set()
        for _ in range(share):
            if earlier and rng.random() < 0.03:  # the same 小区 name in another district: a different place
                name = rng.choice(earlier)
                if name in here:
                    name = _estate_name(rng, stems, used_names)
            else:
                name = _estate_name(rng, stems, used_names)
            here.add(name)
            road = rng.choice(roads)
            number = rng.randint(1, 999)
            while (road, number) in used_numbers:
                number = rng.randint(1, 999)
            used_numbers.add((road, number))
            street = rng.choice([s for s in streets if not s.is_town] or list(streets))
            plist.append(
                Estate(index, name, district, street, rng.choice(street.communities), road, number,
                       buildings=rng.randint(3, 30), units=rng.choice((1, 2, 2, 3, 4)),
                       floors=rng.choice((6, 6, 7, 11, 18, 24, 26, 33)), rooms_per_floor=rng.randint(2, 4))
            )
            index += 1
        estates[dspec.code] = plist
        earlier += sorted(here)
    return City(spec, tuple(districts), estates, per_group_villages=per_group_villages)


def _estate_name(rng: random.Random, stems: list[str], used: set[str]) -> str:
    """A unique 小区 name; sometimes a sibling of an existing one (翠苑一区 / 翠苑二区, 二期)."""
    for _ in range(50):
        name = rng.choice(stems) + rng.choice(_ESTATE_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    base = rng.choice(sorted(used))
    for phase in ("二期", "三期", "四期", "五期"):
        if base + phase not in used:
            used.add(base + phase)
            return base + phase
    name = f"{rng.choice(stems)}{rng.choice(stems)}{rng.choice(_ESTATE_SUFFIXES)}"
    used.add(name)
    return name
