"""Which departments know a person, under which record keys, and what each version of each record says.

A record is planned once per person (`plan_person`): its key, its persistent typing (an ID typed
wrong stays wrong until a correction; a name typed in traditional characters stays so), and the
moments it was written (a base version before the cut, then versions caused by life events in
the delta months, lagging as departments do). `versions` then renders each moment into the
department's columns plus the `Facts` a correct reader of that row learns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from citygen import noise
from citygen.addresses import City, Place
from citygen.clock import MS_PER_DAY, MS_PER_MINUTE, Periods, at, date_of, day_start, floor_to, from_ms
from citygen.config import GeneratorConfig
from citygen.identity import IdentityAllocator, legacy_id, scramble
from citygen.names import homophone_slip
from citygen.organizations import Organization
from citygen.population import MOBILE_AGE, Person
from hub.contract.sources import SOURCES

#: identity-field authority: civil affairs, then HRSS, then health, then tax, then commerce
AUTHORITY = {"civil_affairs": 0, "hrss": 1, "health": 2, "tax": 3, "commerce": 4}
#: the precision each department writes its update time with
PRECISION = {"civil_affairs": 1000, "health": 1000, "hrss": MS_PER_MINUTE, "tax": 1, "commerce": MS_PER_DAY}
#: earliest plausible last-update per department (base versions are drawn after it, skewed recent)
_BASE_FROM = {"civil_affairs": date(2017, 1, 1), "health": date(2018, 6, 1), "hrss": date(2015, 1, 1),
              "tax": date(2020, 1, 1), "commerce": date(2012, 1, 1)}
#: (probability a department records the event, max lag in days) per event kind
_REACTS: dict[str, dict[str, tuple[float, int]]] = {
    "move": {"civil_affairs": (0.85, 12), "health": (0.30, 40), "hrss": (0.25, 30), "tax": (0.15, 60)},
    "phone": {"civil_affairs": (0.40, 20), "health": (0.45, 30), "hrss": (0.35, 30), "tax": (0.25, 60),
              "commerce": (0.15, 60)},
    "employer": {"hrss": (0.95, 15), "tax": (0.50, 45)},
}
_DEATH_REACTS = {"health": (0.92, 5), "civil_affairs": (0.78, 40), "hrss": (0.60, 30)}
_CHRONIC = (("高血压", 45, 0.25), ("糖尿病", 45, 0.10), ("冠心病", 55, 0.05), ("慢阻肺", 55, 0.03),
            ("脑卒中", 60, 0.02))
_DOCTOR_SURNAMES = "王李张刘陈杨黄赵吴周徐孙"
_DOCTOR_GIVEN = ["建华", "秀英", "志强", "丽娟", "海涛", "晓燕", "国庆", "美玲", "文斌", "慧敏"]


@dataclass(slots=True)
class Facts:
    """What a correct reader learns from one row, normalised: the input to survivorship truth."""

    source: str
    record_id: str
    time: int  # update time, epoch ms
    name: str
    id18: str | None  # a valid 18-digit resident ID the row yields (15-digit upgraded), else None
    other_doc: str | None  # another document's number, upper-case, no spaces
    birth: date | None
    gender: str | None
    phone: str | None  # digits only, landlines with area code
    place_id: str | None  # true id of the row's primary address
    death: date | None
    org_id: str | None
    # what the phone is to the person: own (their own mobile) | landline (the household's) |
    # contact (another person's mobile: a spouse's, a guardian's) | business (commerce)
    phone_kind: str = "own"


@dataclass(slots=True)
class Row:
    """One row to write: its file (source, period), its values, and its truth."""

    source: str
    period: int
    values: list[str] | dict[str, object]
    facts: Facts
    person_id: str | None
    noise: list[str]
    place: Place | None = None
    org: Organization | None = None
    bad: str | None = None


@dataclass(slots=True, eq=False)
class RecordPlan:
    source: str
    key: str
    person: Person
    times: list[int]
    variant: str = "main"  # main | second_archive | old_number | passport | business
    id_mode: str = "ok"  # ok | blank | wrong_digit | transposition | legacy15 | document | none
    id_typed: str = ""  # the ID as written while the mode holds
    id_fixed: str = ""  # the ID as written after a correction
    corrected_at: int | None = None
    doc_code: str = ""
    doc_number: str | None = None
    name_content: str = ""
    name_typed: str = ""
    birth_blank: bool = False
    birth_typed: date | None = None  # a typed birth date other than the ID's, while the ID is valid
    gender_blank: bool = False
    phone_blank: bool = False
    address_blank: bool = False
    phone_habit: str = "own"
    phone_style: noise.PhoneStyle | None = None
    death_known: int | None = None
    org: Organization | None = None
    tags: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    stale_at: int | None = None
    _addresses: dict[str, str] = field(default_factory=dict)
    _phones: dict[str, str] = field(default_factory=dict)
    _employers: dict[str, tuple[str, str]] = field(default_factory=dict)


class KeyMaker:
    """Record keys that look like each department's: unique, but not in household order."""

    def __init__(self, city_code: str, start: int = 0) -> None:
        self.city_code = city_code
        self.counts: dict[str, int] = dict.fromkeys(SOURCES, start)  # each chunk starts its counters in its own range

    @staticmethod
    def _scramble(n: int, modulus: int) -> int:
        return scramble(n, modulus)

    def make(self, source: str, place: Place) -> str:
        self.counts[source] += 1
        n = self.counts[source]
        if source == "civil_affairs":
            return f"MZ{self._scramble(n, 10**9):09d}"
        if source == "health":
            return f"{place.district.code}{self._scramble(n, 10**11):011d}"
        if source == "hrss":
            return f"1{self._scramble(n, 10**9):09d}"
        return f"T{self.city_code}{self._scramble(n, 10**9):09d}"


@dataclass
class Context:
    city: City
    config: GeneratorConfig
    periods: Periods
    ids: IdentityAllocator
    keys: KeyMaker


# --- planning -----------------------------------------------------------------------------------

def plan_person(person: Person, ctx: Context, rng: random.Random) -> list[RecordPlan]:
    """Every record any department holds about this person, with persistent typing and version times."""
    cov = ctx.config.coverage
    foreign = person.id18 is None
    home = person.household.places[0][1]
    plans: list[RecordPlan] = []

    def new(source: str, variant: str = "main") -> RecordPlan:
        plan = RecordPlan(source, ctx.keys.make(source, home), person, [], variant)
        plans.append(plan)
        return plan

    if not foreign and rng.random() < cov.civil_affairs:
        new("civil_affairs")
    if rng.random() < (cov.health if not foreign else 0.7):
        new("health")
        if rng.random() < cov.health_second_archive:
            new("health", "second_archive")
    if not foreign and rng.random() < cov.hrss_by_status[person.status]:
        if person.age_at(ctx.config.timeline.cut.date()) >= 25 and rng.random() < cov.hrss_second_number:
            new("hrss", "old_number")
        new("hrss")
    if rng.random() < cov.tax_by_status[person.status]:
        new("tax", "passport" if person.passport and rng.random() < 0.4 else "main")
    for org in person.businesses:
        plan = RecordPlan("commerce", org.credit_code, person, [], "business", org=org)
        plans.append(plan)
    for plan in plans:
        _plan_identity(plan, ctx, rng)
        _plan_presentation(plan, ctx, rng)
        _plan_times(plan, ctx, rng)
    _protect_truth(plans, ctx, rng)
    return plans


def _plan_identity(plan: RecordPlan, ctx: Context, rng: random.Random) -> None:
    mess, person = ctx.config.mess, plan.person
    if person.id18 is None:  # a foreigner: their document, in the departments that take one
        plan.id_mode = "document" if plan.source in ("health", "tax") else "none"
        plan.doc_number = person.doc_number
        kind = person.doc_kind or "passport"
        plan.doc_code = {"health": {"passport": "03", "hk_macau": "06", "taiwan": "07"},
                         "tax": {"passport": "208", "hk_macau": "213", "taiwan": "213"}}.get(
            plan.source, {}).get(kind, "")
        return
    if plan.source == "tax" and plan.variant == "passport":
        plan.id_mode, plan.doc_code, plan.doc_number = "document", "208", person.passport
        plan.tags.append("no_resident_id")
        return
    if plan.source == "health":
        plan.doc_code = "01"
        r = rng.random()
        if r < 0.006:
            plan.id_mode, plan.doc_code, plan.doc_number = "document", "02", ctx.ids.other_document()
            plan.tags.append("no_resident_id")
            return
        if r < 0.010:
            plan.id_mode, plan.doc_code = "blank", "02"
            plan.tags.append("no_resident_id")
            return
    r = rng.random()
    legacy_p = mess.id_legacy15 if person.birth.year < 1990 else 0.0
    if r < legacy_p:
        plan.id_mode = "legacy15"
        if plan.source == "health" and rng.random() < 0.8:
            plan.doc_code = "02"
    elif r < legacy_p + mess.id_blank:
        plan.id_mode = "blank"
    elif r < legacy_p + mess.id_blank + mess.id_wrong_digit:
        plan.id_mode = "wrong_digit"
    elif r < legacy_p + mess.id_blank + mess.id_wrong_digit + mess.id_transposition:
        plan.id_mode = "transposition"
    _type_id(plan, ctx, rng)


def _type_id(plan: RecordPlan, ctx: Context, rng: random.Random) -> None:
    id18 = plan.person.id18 or ""
    mess = ctx.config.mess
    content = {"ok": id18, "blank": "", "legacy15": legacy_id(id18),
               "wrong_digit": noise.wrong_digit(id18, rng) if plan.id_mode == "wrong_digit" else "",
               "transposition": noise.transposition(id18, rng) if plan.id_mode == "transposition" else ""
               }[plan.id_mode]
    plan.id_typed, tags = noise.present_id(content, rng, mess) if content else ("", [])
    plan.id_fixed, _ = noise.present_id(id18, rng, mess)
    plan.tags += tags
    if plan.id_mode != "ok":
        plan.tags.append(f"id_{plan.id_mode}")


def _plan_presentation(plan: RecordPlan, ctx: Context, rng: random.Random) -> None:
    mess, person = ctx.config.mess, plan.person
    plan.name_content = person.name
    plan.name_typed, tags = noise.present_name(person.name, rng, mess, gbk=plan.source == "hrss",
                                               force_traditional=person.doc_kind in ("hk_macau", "taiwan")
                                               and rng.random() < 0.7)
    plan.tags += tags
    plan.birth_blank = rng.random() < mess.birth_blank
    if not plan.birth_blank and plan.source in _BIRTH_COLUMNS:
        # its own stream (seeded by the record key), so the rest of the city stays as it was
        typing = random.Random(f"{plan.key}:birth")
        if typing.random() < mess.birth_typed_differs:
            plan.birth_typed = mistyped_birth(person.birth, typing)
    plan.gender_blank = rng.random() < mess.gender_blank
    plan.phone_blank = rng.random() < mess.phone_blank
    plan.address_blank = rng.random() < mess.address_blank
    plan.phone_style = noise.phone_style(plan.source, rng)
    age = person.age_at(ctx.config.timeline.cut.date())
    landline = person.household.landline
    if plan.source == "commerce":
        plan.phone_habit = "business" if rng.random() < 0.4 else "own"
    elif not person.mobiles:
        plan.phone_habit = "guardian" if person.guardian and (not landline or rng.random() < 0.7) else "landline"
    elif landline and rng.random() < (0.35 if age >= 60 else 0.08):
        plan.phone_habit = "landline"
    elif _spouse(person) is not None and random.Random(f"{plan.key}:phone").random() < (
            ctx.config.mess.spouse_mobile_contact):  # its own stream: the rest of the city stays as it was
        plan.phone_habit = "spouse"
    if plan.source == "hrss":
        plan.extra["card"] = f"{rng.choice('ABCDE')}{rng.randint(10**7, 10**8 - 1)}"
        plan.extra["terminated"] = "1" if person.retired_terminated else ""
    elif plan.source == "health":
        flags = [name for name, min_age, p in _CHRONIC if age >= min_age and rng.random() < p]
        plan.extra["chronic"] = ";".join(flags)
        if rng.random() < (0.7 if flags or age >= 65 else 0.25):
            plan.extra["doctor"] = rng.choice(_DOCTOR_SURNAMES) + rng.choice(_DOCTOR_GIVEN)
    elif plan.source == "civil_affairs":
        r = rng.random()
        plan.extra["assistance"] = "低保" if r < 0.03 else "特困" if r < 0.04 else "临时救助" if r < 0.05 else ""
        plan.extra["elderly"] = ("是" if rng.random() < 0.3 else "否") if age >= 60 else (
            "否" if rng.random() < 0.5 else "")
        if rng.random() < mess.hukou_newline:
            plan.extra["hukou_newline"] = "1"
            plan.tags.append("hukou_newline")
    elif plan.source == "commerce" and plan.org is not None:
        r = rng.random()
        plan.extra["status"] = "注销" if r < 0.05 else "吊销" if r < 0.07 else "在业" if r < 0.4 else "存续"


#: departments with a birth-date column
_BIRTH_COLUMNS = frozenset({"civil_affairs", "health", "hrss"})


def mistyped_birth(born: date, rng: random.Random) -> date:
    """A birth date typed at a counter that is not the one the ID encodes: a lunar-calendar birthday
    (weeks later), month and day swapped, a day off by one, or a slipped digit of the year."""
    for _ in range(8):
        kind = rng.random()
        try:
            if kind < 0.35:
                typed = date.fromordinal(born.toordinal() + rng.randint(20, 50))
            elif kind < 0.55:
                typed = born.replace(month=born.day, day=born.month)
            elif kind < 0.8:
                typed = date.fromordinal(born.toordinal() + rng.choice((-1, 1)))
            else:
                typed = born.replace(year=born.year + rng.choice((-10, -1, 1, 10)))
        except ValueError:
            continue
        if typed != born and typed.year >= 1900:
            return typed
    return date.fromordinal(born.toordinal() + 1)


def _base_time(plan: RecordPlan, ctx: Context, rng: random.Random) -> int:
    """The last update before the cut, skewed towards recent, never before birth (or founding)."""
    cut = ctx.periods.cut
    lo = max(day_start(_BASE_FROM[plan.source]), day_start(plan.person.birth) + MS_PER_DAY)
    if plan.org is not None:
        lo = max(lo, day_start(plan.org.established))
    death = plan.person.death_ms
    hi = cut - 1
    if death is not None and death < cut:
        hi = max(lo + MS_PER_DAY, death)  # records not told of the death stopped changing before it
    if plan.source == "tax":
        year = rng.choices((2021, 2022, 2023), (0.15, 0.25, 0.6))[0]
        season = day_start(date(year + 1, 3, 1))
        t = season + rng.randint(0, 90 * MS_PER_DAY)
        t = max(min(t, hi), lo)
    else:
        t = hi - int((hi - lo) * rng.random() ** 1.4)
    return min(max(t, lo), cut - 1)


def _plan_times(plan: RecordPlan, ctx: Context, rng: random.Random) -> None:
    person, periods, events = plan.person, ctx.periods, ctx.config.events
    unit = PRECISION[plan.source]
    base = _base_time(plan, ctx, rng)
    death = person.death_ms
    if plan.variant == "old_number":  # an earlier number, closed years before the current one
        adult = day_start(person.birth) + 18 * 365 * MS_PER_DAY
        base = max(adult, day_start(_BASE_FROM["hrss"]), base - rng.randint(200, 2000) * MS_PER_DAY)
        base = min(base, periods.cut - 1)
        plan.extra["terminated"] = "1"
    times = {floor_to(base, unit)}
    if death is not None and plan.source in _DEATH_REACTS and plan.variant != "old_number":
        p, lag = _DEATH_REACTS[plan.source]
        if rng.random() < p:
            known = death + rng.randint(0, lag * MS_PER_DAY)
            if known < periods.cut:  # learned before the cut: the base version says so
                known = max(known, base)
                times = {floor_to(known, unit)}
            plan.death_known = floor_to(known, unit)
            times.add(plan.death_known)
    last_alive = death if death is not None else periods.end
    if plan.variant != "old_number":
        for kind, moments in _event_moments(person, periods):
            p, lag = _REACTS.get(kind, {}).get(plan.source, (0.0, 0))
            if plan.variant == "second_archive":
                p *= 0.5
            late = kind == "move" and plan.source == "civil_affairs" and \
                random.Random(f"{plan.key}:move").random() < events.move_civil_affairs_late
            for moment in moments:
                if moment < last_alive and rng.random() < p:
                    told = floor_to(moment + rng.randint(0, lag * MS_PER_DAY), unit)
                    if not late:
                        times.add(told)
        for k in range(1, len(periods.bounds)):
            start, end = periods.bounds[k - 1], periods.bounds[k]
            if start < last_alive and rng.random() < events.touch:
                times.add(floor_to(rng.randint(start, min(end, last_alive) - 1), unit))
            if plan.source == "commerce" and plan.extra.get("status") in ("存续", "在业"):
                r = rng.random()
                if r < events.business_closed + events.business_revoked:
                    closed = floor_to(rng.randint(start, end - 1), unit)
                    times.add(closed)
                    plan.extra["closed_at"] = str(closed)
                    plan.extra["closed_as"] = "注销" if r < events.business_closed else "吊销"
    if plan.id_mode in ("wrong_digit", "transposition"):
        for k in range(1, len(periods.bounds)):
            if rng.random() < events.typo_corrected and periods.bounds[k - 1] < last_alive:
                plan.corrected_at = floor_to(rng.randint(periods.bounds[k - 1],
                                                         min(periods.bounds[k], last_alive) - 1), unit)
                times.add(plan.corrected_at)
                break
    plan.times = sorted(t for t in times if periods.period_of(t) is not None)
    if not plan.times:
        plan.times = [floor_to(base, unit)]
    if periods.bounds and len(periods.bounds) > 1 and rng.random() < ctx.config.mess.stale_late_row:
        older = plan.times[0] - rng.randint(30, 900) * MS_PER_DAY
        floor = max(day_start(plan.person.birth) + MS_PER_DAY, day_start(date(2012, 1, 1)))
        if plan.org is not None:
            floor = max(floor, day_start(plan.org.established))
        if older > floor:
            plan.stale_at = floor_to(older, unit)


def _event_moments(person: Person, periods: Periods) -> list[tuple[str, list[int]]]:
    """Moments in the delta months at which something about the person changed."""
    cut = periods.cut
    moves = [t for t, _ in person.household.places[1:] if t >= cut]
    phones = [t for t, _ in person.mobiles[1:] if t >= cut]
    if person.guardian is not None:
        phones += [t for t, _ in person.guardian.mobiles[1:] if t >= cut]
    jobs = [t for t, _ in person.employers[1:] if t >= cut]
    return [("move", moves), ("phone", phones), ("employer", jobs)]


def _protect_truth(plans: list[RecordPlan], ctx: Context, rng: random.Random) -> None:
    """Keep content mess where a correct hub can still see past it, and plant the hard merge cases.

    A typo'd ID in the only record carrying an ID would make the person's true ID unknowable, and
    a homophone slip in the most authoritative record would make the slip the legal name; both are
    avoided. The planted case: civil affairs holds the valid ID while a health archive carries a
    typo'd ID and a traditional-character name.
    """
    mess = ctx.config.mess
    with_id = [p for p in plans if p.id_mode in ("ok", "legacy15", "wrong_digit", "transposition")]
    if len(with_id) == 1 and with_id[0].id_mode in ("wrong_digit", "transposition"):
        only = with_id[0]
        only.tags = [t for t in only.tags if not t.startswith("id_")]
        only.id_mode, only.corrected_at = "ok", None
        _type_id(only, ctx, rng)
    civil = [p for p in plans if p.source == "civil_affairs" and p.id_mode == "ok"]
    health = [p for p in plans if p.source == "health" and p.doc_code == "01"]
    if civil and health and rng.random() < mess.typo_and_traditional:
        target = health[0]
        target.tags = [t for t in target.tags if not t.startswith(("id_", "name_"))]
        target.id_mode, target.corrected_at = "wrong_digit", None
        _type_id(target, ctx, rng)
        target.name_typed, tags = noise.present_name(target.person.name, rng, mess, force_traditional=True)
        target.tags += [*tags, "planted_typo_traditional"]
    if plans:
        top = min(AUTHORITY[p.source] for p in plans)
        for plan in plans:
            if AUTHORITY[plan.source] > top and rng.random() < mess.name_homophone_typo:
                slip = homophone_slip(rng, plan.person.name)
                if slip:
                    plan.name_content = slip
                    plan.name_typed, tags = noise.present_name(slip, rng, mess, gbk=plan.source == "hrss")
                    plan.tags += [*tags, "name_homophone_typo"]


# --- rendering ----------------------------------------------------------------------------------

def versions(plan: RecordPlan, ctx: Context, rng: random.Random) -> list[Row]:
    """One row per version (plus a late stale one if planned), in time order."""
    rows = [_render(plan, t, ctx, rng) for t in plan.times]
    if plan.stale_at is not None:
        row = _render(plan, plan.stale_at, ctx, rng)
        row.period = rng.randint(1, len(ctx.periods.bounds) - 1)
        row.noise.append("stale_late")
        rows.append(row)
    return rows


def _spouse(person: Person) -> Person | None:
    """The person's husband or wife in the household, when they have a mobile."""
    if person.role not in ("husband", "wife"):
        return None
    return next((m for m in person.household.members
                 if m is not person and m.role in ("husband", "wife") and m.gender != person.gender and m.mobiles),
                None)


def _phone_kind(plan: RecordPlan, phone: str | None) -> str:
    """What the shown number is to the person (Facts.phone_kind)."""
    person = plan.person
    if phone is None:
        return "own"
    if plan.phone_habit == "business" and plan.org is not None and phone == plan.org.landline:
        return "business"
    if any(number == phone for _, number in person.mobiles):
        return "own"
    if phone == person.household.landline:
        return "landline"
    return "contact"


def _phone_at(plan: RecordPlan, t: int) -> str | None:
    person = plan.person
    habit = plan.phone_habit
    if habit == "business" and plan.org is not None:
        return plan.org.landline
    if habit == "spouse" and (spouse := _spouse(person)) is not None:
        return at(spouse.mobiles, t) or at(person.mobiles, t)
    if habit == "guardian" and person.guardian is not None and person.guardian.mobiles:
        return at(person.guardian.mobiles, t)
    if habit in ("landline", "guardian") and person.household.landline:
        return person.household.landline
    if person.mobiles and t < day_start(_birthday(person.birth, MOBILE_AGE)):
        return _childhood_phone(person, t)  # a record made before they had a mobile of their own
    if person.mobiles:
        return at(person.mobiles, t)
    return person.household.landline


def _childhood_phone(person: Person, t: int) -> str | None:
    """What a child's record gives before the child has a mobile: a guardian's (else a parent's) mobile
    at the time, else the household landline."""
    parent = person.guardian or next((m for m in person.household.members if m.role in ("husband", "wife")
                                      and m.mobiles and m is not person), None)
    if parent is not None and parent.mobiles:
        return at(parent.mobiles, t)
    return person.household.landline


def _birthday(born: date, years: int) -> date:
    """The day a person born on `born` turns `years` (29 February birthdays on 1 March)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def _render(plan: RecordPlan, t: int, ctx: Context, rng: random.Random) -> Row:
    person, source = plan.person, plan.source
    city = ctx.city
    place: Place | None = plan.org.place if plan.org is not None else at(person.household.places, t)
    phone = None if plan.phone_blank else _phone_at(plan, t)
    phone_text = ""
    if phone is not None:
        phone_text = plan._phones.get(phone, "")
        if not phone_text:
            phone_text = noise.present_phone(phone, city.area_code, plan.phone_style or
                                             noise.phone_style(source, rng))
            plan._phones[phone] = phone_text
    address_text = ""
    if plan.address_blank:
        place = None
    if place is not None:
        address_text = plan._addresses.get(place.id, "")
        if not address_text:
            style = noise.address_style(source, rng, ctx.config.mess)
            address_text = noise.present_address(place, city, style, rng)
            plan._addresses[place.id] = address_text
    corrected = plan.corrected_at is not None and t >= plan.corrected_at
    id_text = plan.id_fixed if corrected else plan.id_typed
    mode = "ok" if corrected else plan.id_mode
    id18 = person.id18 if mode in ("ok", "legacy15") else None
    other = (plan.doc_number or "").upper() if mode == "document" else None
    dead = plan.death_known is not None and t >= plan.death_known and person.death_ms is not None
    death = person.death_date if dead else None
    employer = at(person.employers, t) if person.employers else None
    born: date | None = None if plan.birth_blank else person.birth
    if born is not None and plan.birth_typed is not None and id18 is not None:  # the ID shows the truth
        born = plan.birth_typed
    facts = Facts(source, plan.key, t, plan.name_content, id18, other or None,
                  born, None if plan.gender_blank else person.gender,
                  phone, place.id if place is not None else None, death, None, _phone_kind(plan, phone))
    tags = list(plan.tags)
    if corrected:
        tags = [tag for tag in tags if not tag.startswith("id_")] + ["id_corrected"]
    if plan.phone_blank:
        tags.append("phone_blank")
    if plan.address_blank:
        tags.append("address_blank")
    if plan.birth_blank and source in _BIRTH_COLUMNS:
        tags.append("birth_blank")
    if born is not None and born != person.birth:
        tags.append("birth_differs_from_id")
    if source == "civil_affairs":
        values: list[str] | dict[str, object] = _civil(plan, t, facts, id_text, phone_text, address_text,
                                                        place, death)
    elif source == "health":
        values = _health(plan, t, facts, id_text, phone_text, address_text, death)
    elif source == "hrss":
        values = _hrss(plan, t, facts, id_text, phone_text, address_text, employer, dead, ctx, rng)
    elif source == "tax":
        values = _tax(plan, t, facts, id_text, phone_text, address_text, employer, ctx, rng)
    else:
        values = _commerce(plan, t, id_text, phone_text, address_text)
        facts.org_id = plan.org.oid if plan.org else None
    if source in ("tax", "commerce"):  # no birth date or gender columns
        facts.birth = None
        facts.gender = None
    org = plan.org if plan.org is not None else (employer if facts.org_id else None)
    return Row(source, ctx.periods.period_of(t) or 0, values, facts, person.pid, tags, place, org)


def _civil(plan: RecordPlan, t: int, facts: Facts, id_text: str, phone: str, address: str,
           place: Place | None, death: date | None) -> list[str]:
    person = plan.person
    return [
        plan.key, plan.name_typed,
        "" if plan.gender_blank else ("男" if person.gender == "male" else "女"),
        id_text, "" if facts.birth is None else f"{facts.birth:%Y-%m-%d}", person.ethnicity, person.marital,
        _hukou(plan), address, phone,
        place.street.name if place is not None else "", place.community if place is not None else "",
        plan.extra.get("assistance", ""), plan.extra.get("elderly", ""),
        f"{death:%Y-%m-%d}" if death else "", f"{from_ms(t):%Y-%m-%d %H:%M:%S}",
    ]


def _hukou(plan: RecordPlan) -> str:
    """The hukou address; very rarely with a line break inside (legal in RFC 4180 when quoted)."""
    hukou = plan.person.hukou
    if plan.extra.get("hukou_newline") and len(hukou) > 8:
        return hukou[:6] + "\n" + hukou[6:]
    return hukou


def _health(plan: RecordPlan, t: int, facts: Facts, id_text: str, phone: str, address: str,
            death: date | None) -> list[str]:
    person = plan.person
    gender = "" if plan.gender_blank else ("1" if person.gender == "male" else "2")
    if plan.gender_blank and plan.key[-1] in "02468":
        gender = "9" if plan.key[-1] in "02" else "0"
    doc_number = id_text if plan.id_mode not in ("document",) else noise.present_document(
        plan.doc_number or "", random.Random(plan.key))
    return [
        plan.key, plan.name_typed, gender, plan.doc_code if (doc_number or plan.doc_code == "02") else "",
        doc_number, "" if facts.birth is None else f"{facts.birth:%Y%m%d}", address, phone,
        plan.extra.get("doctor", ""), plan.extra.get("chronic", ""), f"{death:%Y%m%d}" if death else "",
        from_ms(t).isoformat(timespec="seconds"),
    ]


def _employer_text(plan: RecordPlan, org: Organization, ctx: Context, rng: random.Random) -> tuple[str, str]:
    cached = plan._employers.get(org.oid)
    if cached is None:
        mess = ctx.config.mess
        r = rng.random()
        name = "" if r < mess.employer_name_blank else (
            org.short_name if r < mess.employer_name_blank + mess.employer_short_name else org.name)
        r = rng.random()
        code = "" if r < mess.employer_code_blank else (
            org.credit_code.lower() if r < mess.employer_code_blank + mess.employer_code_lower else org.credit_code)
        if not name and not code:
            name = org.name
        cached = (name, code)
        plan._employers[org.oid] = cached
    return cached


def _hrss(plan: RecordPlan, t: int, facts: Facts, id_text: str, phone: str, address: str,
          employer: Organization | None, dead: bool, ctx: Context, rng: random.Random) -> list[str]:
    person = plan.person
    terminated = dead or plan.extra.get("terminated") == "1"
    if terminated:
        status, kinds = "终止参保", ""
    elif person.status == "employed" and employer is not None:
        status, kinds = "参保缴费", "养老,医疗,失业,工伤,生育" if employer.kind == "company" else "养老,医疗"
    elif person.status in ("flexible",):
        status, kinds = "参保缴费", "养老,医疗"
    else:
        status, kinds = "暂停缴费", "养老,医疗"
    name, code = ("", "")
    if employer is not None and status == "参保缴费":
        name, code = _employer_text(plan, employer, ctx, rng)
        facts.org_id = employer.oid
    return [
        plan.key, plan.name_typed, id_text, "" if plan.gender_blank else ("男" if person.gender == "male" else "女"),
        "" if facts.birth is None else f"{facts.birth:%Y%m%d}", status, kinds, name, code, address, phone,
        plan.extra.get("card", ""), f"{from_ms(t):%Y/%m/%d %H:%M}",
    ]


def _tax(plan: RecordPlan, t: int, facts: Facts, id_text: str, phone: str, address: str,
         employer: Organization | None, ctx: Context, rng: random.Random) -> dict[str, object]:
    person = plan.person
    if plan.id_mode == "document":
        doc_type, number = plan.doc_code, noise.present_document(plan.doc_number or "", random.Random(plan.key))
    else:
        doc_type, number = ("201" if id_text else ""), id_text
    name, code = ("", "")
    if employer is not None:
        name, code = _employer_text(plan, employer, ctx, rng)
        facts.org_id = employer.oid
    year = date_of(t).year - 1
    tax = max(0.0, (person.income - 60000) * 0.1)
    return {
        "nsrbh": plan.key, "xm": plan.name_typed, "zjlx": doc_type or None, "zjhm": number or None,
        "lxdh": phone or None, "jzdz": address or None, "rzdw": name or None, "rzdw_shxydm": code or None,
        "nd": year, "nsje": f"{tax * (1 + (hash_fraction(plan.key, year) - 0.5) * 0.2):.2f}", "gxsj": t,
    }


def hash_fraction(key: str, salt: int) -> float:
    """A stable pseudo-random fraction of a key (not Python's salted hash())."""
    value = 2166136261
    for ch in f"{key}:{salt}":
        value = ((value ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return value / 0xFFFFFFFF


def _commerce(plan: RecordPlan, t: int, id_text: str, phone: str, address: str) -> list[str]:
    org = plan.org
    assert org is not None
    status = plan.extra.get("status", "存续")
    closed_at = plan.extra.get("closed_at")
    if closed_at and t >= int(closed_at):
        status = plan.extra.get("closed_as", "注销")
    return [
        org.credit_code, org.name, org.type_label, plan.name_typed, id_text, phone, address,
        f"{org.established:%Y-%m-%d}", status, org.authority, f"{date_of(t):%Y-%m-%d}",
    ]
