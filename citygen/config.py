"""Every rate the generator uses, in one place, so realism can be tuned (and documented) without code hunts.

Rates are probabilities per opportunity: per record for persistent typing mistakes (an ID typed
wrong once stays wrong until corrected), per rendered value for presentation choices, per person
or household per month for life events, per written row for file-level mess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub.contract.timezone import CST


@dataclass(frozen=True)
class Coverage:
    """Who appears in which department; shares are of the whole population unless stated."""

    civil_affairs: float = 0.90
    health: float = 0.85
    health_second_archive: float = 0.08  # of people in health: a second archive at another hospital
    hrss_by_status: dict[str, float] = field(
        default_factory=lambda: {
            "employed": 0.93,
            "flexible": 0.55,
            "unemployed": 0.45,
            "retired": 0.72,
            "student": 0.03,
            "child": 0.0,
        }
    )
    hrss_second_number: float = 0.05  # of people in HRSS: an old, terminated number as well
    tax_by_status: dict[str, float] = field(
        default_factory=lambda: {
            "employed": 0.86,
            "flexible": 0.55,
            "unemployed": 0.05,
            "retired": 0.10,
            "student": 0.01,
            "child": 0.0,
        }
    )
    company_rep: float = 0.016  # of adults 25-70: legal representative of a company
    sole_trader: float = 0.030  # of adults 25-70: runs a 个体工商户
    second_business: float = 0.10  # of legal representatives


@dataclass(frozen=True)
class PopulationRates:
    """Shape of the population and the adversarial look-alikes planted in it."""

    migrant_household: float = 0.32  # resident ID issued elsewhere in China
    foreign_household: float = 0.004  # passport / HK-Macau / Taiwan permit holders, no resident ID
    minority_dot_name: float = 0.006  # Uyghur/Kazakh names written with the middle dot
    landline_household: float = 0.30
    landline_elderly_household: float = 0.60
    twins: float = 0.02  # of households with children: a pair of twins
    parent_child_same_name: float = 0.006  # of households with a son: son has his father's full name
    namesake_same_birth: float = 0.004  # of single adults: copies name+gender+birth date of an earlier person
    namesake_same_name: float = 0.004  # of single adults: copies the name only, same district
    resident_passport: float = 0.02  # of resident-ID holders: also hold a passport (tax may use it)
    dead_before_base: float = 0.006  # share of people who died before the base export (age-weighted)
    village_household: float = 0.30  # of households in rural districts: live in a village house
    # of villages: number houses per group (the same number in several groups), not through the village
    village_per_group_numbering: float = 0.12
    previous_address: float = 0.25  # households that moved once before the base export
    previous_phone: float = 0.18  # people whose mobile changed before the base export
    recycled_mobile: float = 0.15  # of new mobiles: a number someone else gave up 90+ days before


@dataclass(frozen=True)
class EventRates:
    """Monthly life events that make the delta exports (per person or household per month)."""

    move: float = 0.012  # household
    # of movers' civil-affairs records: the hukou office hears of the move only after the exports (the
    # resident told health, HRSS or tax first), so civil affairs keeps the old flat
    move_civil_affairs_late: float = 0.3
    phone_change: float = 0.010
    death_per_elderly: float = 0.0012  # age 70+
    death_other: float = 0.00005
    employer_change: float = 0.012  # of employed
    business_closed: float = 0.006  # 注销 per business per month
    business_revoked: float = 0.001  # 吊销
    touch: float = 0.02  # a record re-saved with no change of substance (a new row, new update time)
    typo_corrected: float = 0.25  # of records carrying an ID typo, per month


@dataclass(frozen=True)
class MessRates:
    """Typing and export mess. Presentation mess normalises away; content mess (typos) does not."""

    # identity documents (per record, persistent)
    id_blank: float = 0.025
    id_wrong_digit: float = 0.010
    id_transposition: float = 0.004
    id_legacy15: float = 0.03  # of records of people born before 1990
    id_lower_x: float = 0.45  # of IDs ending in X
    id_fullwidth: float = 0.012
    id_spaces: float = 0.015
    # names (per record, persistent)
    name_traditional: float = 0.025
    name_spaces: float = 0.015
    name_homophone_typo: float = 0.003  # never in the person's most authoritative record
    dot_variant: float = 0.45  # of dot names: written with •, ., ． or no dot
    # the planted "must merge" combination: civil affairs valid, health typo'd ID + traditional name
    typo_and_traditional: float = 0.004
    # other fields (per rendered value)
    phone_blank: float = 0.07
    # of a married person's records (with own mobile): the spouse's mobile given as the contact number
    spouse_mobile_contact: float = 0.06
    birth_blank: float = 0.03
    # a typed birth date that disagrees with the record's own valid resident ID (a lunar-calendar
    # birthday, a slipped digit, month and day swapped): the ID's digits are the truth
    birth_typed_differs: float = 0.01
    gender_blank: float = 0.02
    health_gender_unknown: float = 0.01
    address_blank: float = 0.025
    address_traditional: float = 0.012
    address_spaces: float = 0.02
    address_fullwidth: float = 0.05
    address_chinese_numerals: float = 0.12
    address_dash_shorthand: float = 0.08  # 3-2-501 for 3幢2单元501室
    address_comma: float = 0.004  # an ASCII comma inside the address (quoted in CSV)
    village_group_omitted: float = 0.35  # of village addresses: the group (组) left out, 明朗村57号
    village_group_chinese: float = 0.25  # of village addresses: the group in Chinese numerals, 三组57号
    village_group_fullwidth: float = 0.05  # of village addresses: the group in full-width digits, ３组57号
    hukou_newline: float = 0.0003  # a line break inside a quoted civil-affairs hukou address (RFC 4180)
    employer_code_blank: float = 0.18
    employer_code_lower: float = 0.03
    employer_short_name: float = 0.20
    employer_name_blank: float = 0.04
    # file-level mess (per written row)
    stale_late_row: float = 0.004  # of records: an older version arriving in a delta
    duplicate_row: float = 0.002  # of rows: written again byte for byte
    bad_row: float = 0.005  # of rows: unreadable, split evenly over the kinds the format can have


@dataclass(frozen=True)
class Timeline:
    """The base export holds each record's state before `cut`; delta k holds month k after it."""

    cut: datetime = datetime(2024, 6, 1, tzinfo=CST)
    earliest_update: datetime = datetime(2014, 1, 1, tzinfo=CST)


@dataclass(frozen=True)
class GeneratorConfig:
    """All knobs of one generation run."""

    coverage: Coverage = field(default_factory=Coverage)
    population: PopulationRates = field(default_factory=PopulationRates)
    events: EventRates = field(default_factory=EventRates)
    mess: MessRates = field(default_factory=MessRates)
    timeline: Timeline = field(default_factory=Timeline)
