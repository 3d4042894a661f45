"""People and households, with their life histories: moves, phone changes, jobs, deaths — and the
planted look-alikes a resolver must keep apart (twins, namesakes, a son with his father's name,
family members sharing one phone).

A household is built from its own RNG (seeded by run seed and household number) so it is the same
whatever was built before it; only identity numbers and employers come from shared allocators.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from citygen import names
from citygen.addresses import City, District, Place
from citygen.clock import MS_PER_DAY, Periods, date_of, day_start, to_ms
from citygen.config import GeneratorConfig
from citygen.gazetteer import DOT_NAME_ORIGINS, HUKOU_TAILS, MIGRANT_ORIGINS, TIBET_ORIGIN
from citygen.identity import IdentityAllocator, region_valid
from citygen.organizations import Organization, OrganizationPool
from citygen.sampling import Weighted

_HOUSEHOLD_KIND = Weighted(("single", "couple", "family", "three_generations", "elderly"),
                           (0.24, 0.17, 0.35, 0.12, 0.12))
_MIGRANT_ORIGIN = Weighted([(code, prefix) for code, prefix, _ in MIGRANT_ORIGINS],
                           [weight for _, _, weight in MIGRANT_ORIGINS])
_ADULT_STATUS = Weighted(("employed", "flexible", "unemployed"), (0.78, 0.11, 0.11))
#: no one has a mobile of their own before this age
MOBILE_AGE = 13


@dataclass(slots=True, eq=False)
class Household:
    hid: int
    places: list[tuple[int, Place]]  # (from_ms, place); the first holds from the beginning
    landline: str | None
    members: list[Person] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Person:
    """One true person and everything about them over time."""

    pid: str
    name: str
    gender: str  # male | female
    birth: date
    ethnicity: str
    household: Household
    role: str  # single | husband | wife | child | grandparent | elder | foreigner
    id18: str | None = None
    doc_kind: str | None = None  # passport | hk_macau | taiwan — only for people without a resident ID
    doc_number: str | None = None
    passport: str | None = None  # a resident's own Chinese passport
    hukou: str = ""
    status: str = "child"  # child | student | employed | flexible | unemployed | retired
    retired_terminated: bool = False
    mobiles: list[tuple[int, str | None]] = field(default_factory=list)
    death_ms: int | None = None
    employers: list[tuple[int, Organization | None]] = field(default_factory=list)
    marital: str = "未婚"
    guardian: Person | None = None
    businesses: list[Organization] = field(default_factory=list)
    #: (other person id, kind) for look-alikes the resolver must not merge with this person
    look_alikes: list[tuple[str, str]] = field(default_factory=list)
    income: float = 0.0

    def age_at(self, moment: date) -> int:
        years = moment.year - self.birth.year
        return years - ((moment.month, moment.day) < (self.birth.month, self.birth.day))

    @property
    def death_date(self) -> date | None:
        return None if self.death_ms is None else date_of(self.death_ms)


@dataclass
class _Reservoir:
    """A fixed-size random sample of earlier adults, for planting namesakes far apart in the stream."""

    rng: random.Random
    size: int = 4000
    seen: int = 0
    items: list[Person] = field(default_factory=list)

    def offer(self, person: Person) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(person)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.items[j] = person

    def pick(self) -> Person | None:
        return self.rng.choice(self.items) if self.items else None


class PopulationBuilder:
    """Makes households one at a time; shared state is only what must be unique across the city."""

    def __init__(self, city: City, ids: IdentityAllocator, orgs: OrganizationPool, config: GeneratorConfig,
                 periods: Periods, seed: int, first_index: int = 0) -> None:
        self.city = city
        self.ids = ids
        self.orgs = orgs
        self.config = config
        self.periods = periods
        self.seed = seed
        self.today = config.timeline.cut.date()
        self.history_start = to_ms(config.timeline.earliest_update)
        self._count = first_index  # person ids continue from the chunk's first index
        self._reservoir = _Reservoir(random.Random(f"{seed}:reservoir:{first_index}"))
        self._released: list[tuple[int, str, str]] = []  # (released at, mobile, previous owner)

    # --- households ---------------------------------------------------------------------------

    def household(self, hid: int, remaining: int, rng: random.Random) -> Household:
        """The next household, with at most `remaining` members, drawn from the household's own RNG."""
        pop = self.config.population
        kind = _HOUSEHOLD_KIND.pick(rng)
        foreign = rng.random() < pop.foreign_household
        home = self.city.home(rng, pop.village_household)
        hh = Household(hid, [(0, home)], None)
        landline_p = pop.landline_elderly_household if kind == "elderly" else pop.landline_household
        if rng.random() < landline_p and not foreign:
            hh.landline = self.ids.landline(self.city.area_code)
        self._moves(hh, rng)
        if foreign:
            self._foreigners(hh, rng, remaining)
        else:
            self._residents(hh, kind, rng, remaining)
        return hh

    def _moves(self, hh: Household, rng: random.Random) -> None:
        pop, events = self.config.population, self.config.events
        if rng.random() < pop.previous_address:
            moved = rng.randint(day_start(date(2016, 1, 1)), self.periods.cut - 30 * MS_PER_DAY)
            new = self._nearby_home(hh.places[0][1], rng)
            hh.places.append((moved, new))
        for k in range(1, len(self.periods.bounds)):
            if rng.random() < events.move:
                when = rng.randint(self.periods.bounds[k - 1], self.periods.bounds[k] - 1)
                hh.places.append((when, self._nearby_home(hh.places[-1][1], rng)))

    def _nearby_home(self, old: Place, rng: random.Random) -> Place:
        district: District | None = old.district if rng.random() < 0.6 else None
        return self.city.home(rng, self.config.population.village_household, district)

    # --- people -------------------------------------------------------------------------------

    def _new_person(self, hh: Household, name: str, gender: str, birth: date, role: str,
                    ethnicity: str = "汉族") -> Person:
        person = Person(f"P{self._count:08d}", name, gender, birth, ethnicity, hh, role)
        self._count += 1
        hh.members.append(person)
        return person

    def _birth(self, rng: random.Random, min_age: float, max_age: float) -> date:
        lo, hi = int(min_age * 365.25), int(max_age * 365.25)
        return self.today - timedelta(days=rng.randint(max(lo, 1), max(hi, lo + 1)))

    def _residents(self, hh: Household, kind: str, rng: random.Random, remaining: int) -> None:
        pop = self.config.population
        dot = rng.random() < pop.minority_dot_name
        migrant = dot or rng.random() < pop.migrant_household
        if dot:
            origin = rng.choice(DOT_NAME_ORIGINS)
        elif migrant:
            origin = _MIGRANT_ORIGIN.pick(rng)
        else:
            origin = ("", "")
        hukou_district = hh.places[0][1].district if rng.random() < 0.7 else self.city.pick_district(rng)
        family = names.surname(rng)
        ethnicity = "维吾尔族" if dot else names.ethnicity(rng)
        adults: list[Person] = []
        kids: list[Person] = []

        def make(gender: str, birth: date, role: str, surname: str | None = None,
                 father: Person | None = None) -> Person:
            if dot:
                father_name = father.name.split("·")[0] if father else None
                name = names.dot_name(rng, gender, father_name)
            else:
                name = (surname or names.surname(rng)) + names.given_name(rng, gender, birth.year)
            return self._new_person(hh, name, gender, birth, role, ethnicity if dot or rng.random() < 0.9
                                    else names.ethnicity(rng))

        if kind == "single":
            young = rng.random() < 0.7
            gender = rng.choice(("male", "female"))
            birth = self._birth(rng, 20, 45) if young else self._birth(rng, 45, 88)
            person = self._namesake(hh, rng, gender, birth) if not dot else None
            if person is None and migrant and not dot and rng.random() < 0.01:  # a Tibetan name, no surname
                origin = TIBET_ORIGIN
                person = self._new_person(hh, names.tibetan_name(rng, gender), gender, birth, "single", "藏族")
            if person is None:
                person = make(gender, birth, "single", family)
            person.marital = "未婚" if young else rng.choice(("离婚", "丧偶", "未婚", "丧偶"))
            adults.append(person)
        elif kind in ("couple", "elderly"):
            lo, hi = (22, 75) if kind == "couple" else (62, 92)
            husband_birth = self._birth(rng, lo, hi)
            husband = make("male", husband_birth, "husband" if kind == "couple" else "elder", family)
            adults.append(husband)
            if kind == "couple" or rng.random() < 0.6:
                wife_birth = husband_birth + timedelta(days=rng.randint(0, 5 * 365))
                wife = make("female", wife_birth, "wife" if kind == "couple" else "elder")
                adults.append(wife)
            for a in adults:
                a.marital = "已婚" if len(adults) == 2 else "丧偶"
        else:
            father_birth = self._birth(rng, 28, 52)
            father = make("male", father_birth, "husband", family)
            mother = make("female", father_birth + timedelta(days=rng.randint(0, 4 * 365)), "wife")
            father.marital = mother.marital = "已婚"
            adults += [father, mother]
            kids += self._children(hh, rng, father, mother, make)
            if kind == "three_generations":
                gp_birth = father_birth - timedelta(days=rng.randint(25 * 365, 32 * 365))
                if gp_birth > self.today - timedelta(days=int(96 * 365.25)):
                    grandpa = make("male", gp_birth, "grandparent", family)
                    adults.append(grandpa)
                    if rng.random() < 0.6:
                        grandma = make("female", gp_birth + timedelta(days=rng.randint(0, 5 * 365)),
                                       "grandparent")
                        adults.append(grandma)
                    grandpa.marital = "已婚" if len(adults) == 4 else "丧偶"
                    if len(adults) == 4:
                        adults[3].marital = "已婚"
        if len(hh.members) > remaining:  # the last household is cut to the requested population
            self._count -= len(hh.members) - remaining
            del hh.members[remaining:]
        for person in hh.members:
            self._identity(person, rng, origin, hukou_district, migrant)
            self._life(person, rng)
        parents = [p for p in hh.members if p.role in ("husband", "wife")]
        for kid in kids:
            if kid in hh.members and kid.age_at(self.today) < 16 and parents:
                kid.guardian = rng.choice(parents)

    def _children(self, hh: Household, rng: random.Random, father: Person, mother: Person,
                  make: Callable[..., Person]) -> list[Person]:
        pop = self.config.population
        kids: list[Person] = []
        count = rng.choices((1, 2, 3), (0.6, 0.35, 0.05))[0]
        twins = rng.random() < pop.twins
        last: Person | None = None
        for i in range(count + (1 if twins else 0)):
            if twins and i == 1 and last is not None:
                gender = last.gender if rng.random() < 0.6 else rng.choice(("male", "female"))
                if "·" in last.name:
                    twin_name = names.dot_name(rng, gender, last.name.split("·")[1])
                else:
                    twin_name = _surname(last) + names.twin_given_name(rng, _given(last), gender,
                                                                        last.birth.year)
                twin = self._new_person(hh, twin_name, gender, last.birth, "child", last.ethnicity)
                twin.look_alikes.append((last.pid, "twins"))
                last.look_alikes.append((twin.pid, "twins"))
                kids.append(twin)
                continue
            mother_age = rng.uniform(22, 40)
            birth = mother.birth + timedelta(days=int(mother_age * 365.25))
            if birth >= self.today:
                continue
            gender = "male" if rng.random() < 0.52 else "female"
            surname = _surname(father) if rng.random() < 0.9 else _surname(mother)
            kid = make(gender, birth, "child", surname, father)
            if (gender == "male" and kid.name.startswith(_surname(father)) and "·" not in kid.name
                    and rng.random() < pop.parent_child_same_name and father.birth.year < birth.year - 15):
                kid.name = father.name
                kid.look_alikes.append((father.pid, "parent_child_same_name"))
                father.look_alikes.append((kid.pid, "parent_child_same_name"))
            kids.append(kid)
            last = kid
        return kids

    def _namesake(self, hh: Household, rng: random.Random, gender: str, birth: date) -> Person | None:
        """Sometimes a single adult is a namesake of someone far earlier in the stream."""
        pop = self.config.population
        r = rng.random()
        if r >= pop.namesake_same_birth + pop.namesake_same_name:
            return None
        other = self._reservoir.pick()
        if other is None:
            return None
        same_birth = r < pop.namesake_same_birth
        person = self._new_person(hh, other.name, other.gender, other.birth if same_birth else birth, "single",
                                  other.ethnicity)
        if not same_birth:
            # same name in the same district: move this household there
            hh.places[0] = (0, self.city.home(rng, self.config.population.village_household,
                                              other.household.places[0][1].district))
        kind = "namesake_same_birth" if same_birth else "namesake_same_name"
        person.look_alikes.append((other.pid, kind))
        return person

    def _foreigners(self, hh: Household, rng: random.Random, remaining: int) -> None:
        kind = rng.choices(("passport", "hk_macau", "taiwan"), (0.5, 0.3, 0.2))[0]
        for i in range(min(remaining, 1 if rng.random() < 0.7 else 2)):
            gender = rng.choice(("male", "female")) if i == 0 else "female"
            name = names.foreign_name(rng) if kind == "passport" else names.hk_tw_name(rng, gender)
            person = self._new_person(hh, name, gender, self._birth(rng, 24, 65), "foreigner", "")
            person.doc_kind = kind
            person.doc_number = {"passport": self.ids.foreign_passport, "hk_macau": self.ids.hk_macau_permit,
                                 "taiwan": self.ids.taiwan_permit}[kind]()
            person.marital = "已婚" if i else "未婚"
            self._life(person, rng)

    def _identity(self, person: Person, rng: random.Random, origin: tuple[str, str], hukou_district: District,
                  migrant: bool) -> None:
        """Resident ID (region = where the hukou was when the ID was issued) and hukou address."""
        if migrant and (person.role != "child" or rng.random() < 0.6):
            region, hukou = origin[0], origin[1] + rng.choice(HUKOU_TAILS)
        else:
            # the code of the hukou district in the birth year, as ID validators know the code table
            year = person.birth.year
            codes = [code for lo, hi, code in hukou_district.lineage if lo <= year <= hi and region_valid(code, year)]
            codes = codes or [code for _, _, code in hukou_district.lineage if region_valid(code, year)]
            region = rng.choice(codes) if codes else hukou_district.code
            hukou = self.city.prefix + hukou_district.name if migrant else ""
        twin = next((pid for pid, kind in person.look_alikes if kind == "twins"), None)
        near = None
        sibling = next((m for m in person.household.members if m.pid == twin), None)
        if sibling is not None and sibling.id18 is not None:  # twins: same region, neighbouring sequence
            region, near = sibling.id18[:6], int(sibling.id18[14:17])
        person.id18, _ = self.ids.resident_id(region, person.birth, person.gender, near)
        person.hukou = hukou or person.household.places[0][1].canonical(self.city)
        if rng.random() < self.config.population.resident_passport and person.age_at(self.today) >= 16:
            person.passport = self.ids.passport()

    def _change_mobile(self, person: Person, moment: int, rng: random.Random) -> None:
        """A new mobile from `moment`; the old one is released and may later go to someone else."""
        old = person.mobiles[-1][1]
        new = None
        if rng.random() < self.config.population.recycled_mobile:
            i = _released_before(self._released, moment)
            if i is not None and self._released[i][2] != person.pid:
                _, new, owner = self._released.pop(i)
                person.look_alikes.append((owner, "recycled_mobile"))
        person.mobiles.append((moment, new or self.ids.mobile()))
        if old is not None and len(self._released) < 5000:
            self._released.append((moment, old, person.pid))

    def _life(self, person: Person, rng: random.Random) -> None:
        """Phones, work, death and the changes to them before the base export and in each delta month."""
        cfg, periods = self.config, self.periods
        age = person.age_at(self.today)
        # death
        death_p = cfg.population.dead_before_base * (6.0 if age >= 75 else 1.2 if age >= 60 else 0.05)
        if rng.random() < death_p:
            person.death_ms = rng.randint(day_start(date(2019, 1, 1)), periods.cut - 2 * MS_PER_DAY)
        else:
            for k in range(1, len(periods.bounds)):
                p = cfg.events.death_per_elderly if age >= 70 else cfg.events.death_other
                if rng.random() < p:
                    person.death_ms = rng.randint(periods.bounds[k - 1], periods.bounds[k] - 1)
                    break
        born = day_start(person.birth)
        # phones
        has_mobile = rng.random() < (0.0 if age < MOBILE_AGE else 0.7 if age < 18 else 0.97 if age < 70 else
                                     0.7 if age < 80 else 0.35)
        if has_mobile:
            person.mobiles.append((0, self.ids.mobile()))
            first_possible = max(born + 16 * 365 * MS_PER_DAY, day_start(date(2015, 1, 1)))
            if rng.random() < cfg.population.previous_phone and first_possible < periods.cut - MS_PER_DAY:
                self._change_mobile(person, rng.randint(first_possible, periods.cut - MS_PER_DAY), rng)
            for k in range(1, len(periods.bounds)):
                if rng.random() < cfg.events.phone_change:
                    self._change_mobile(person, rng.randint(periods.bounds[k - 1], periods.bounds[k] - 1), rng)
        # work
        retire_age = 60 if person.gender == "male" else 55
        if age < 16:
            person.status = "child"
        elif age < 22:
            person.status = rng.choices(("student", "employed", "unemployed"), (0.85, 0.1, 0.05))[0]
        elif age < retire_age:
            person.status = _ADULT_STATUS.pick(rng)
        else:
            person.status = "flexible" if age < 70 and rng.random() < 0.05 else "retired"
            person.retired_terminated = rng.random() < 0.5
        if person.role == "foreigner":
            person.status = "employed"
        if person.status == "employed":
            person.employers.append((0, self.orgs.employer(rng)))
            if rng.random() < 0.3:
                changed = rng.randint(day_start(date(2016, 1, 1)), periods.cut - MS_PER_DAY)
                person.employers.append((changed, self.orgs.employer(rng)))
            for k in range(1, len(periods.bounds)):
                if rng.random() < cfg.events.employer_change:
                    person.employers.append((rng.randint(periods.bounds[k - 1], periods.bounds[k] - 1),
                                             self.orgs.employer(rng)))
        else:
            person.employers.append((0, None))
        person.income = rng.lognormvariate(10.8, 0.6) if person.status in ("employed", "flexible") else \
            rng.lognormvariate(9.5, 0.5)
        # businesses
        alive_at_cut = person.death_ms is None or person.death_ms >= periods.cut
        if 25 <= age <= 70 and alive_at_cut and person.role != "foreigner":
            bonus = 2.0 if person.status == "flexible" else 1.0
            if rng.random() < cfg.coverage.company_rep:
                person.businesses.append(self.orgs.next_company_for_rep())
            if rng.random() < cfg.coverage.sole_trader * bonus:
                person.businesses.append(self.orgs.sole_trader(person.name, person.household.places[0][1], rng))
            if person.businesses and rng.random() < cfg.coverage.second_business:
                person.businesses.append(self.orgs.next_company_for_rep())
        if 18 <= age <= 60 and person.role != "foreigner":
            self._reservoir.offer(person)


def _released_before(released: list[tuple[int, str, str]], moment: int) -> int | None:
    """Index of a number released at least 90 days before `moment` (carriers recycle after that)."""
    for i, (when, _, _) in enumerate(released):
        if when + 90 * MS_PER_DAY < moment:
            return i
    return None


def _surname(person: Person) -> str:
    """The family name (compound surnames included); dot names have none, use the whole father part."""
    name = person.name
    for compound in ("欧阳", "司马", "诸葛", "上官"):
        if name.startswith(compound):
            return compound
    return name[:1] if "·" not in name else ""


def _given(person: Person) -> str:
    return person.name[len(_surname(person)) :]
