"""The truth directory's README: how every truth value is defined (written with each run)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from citygen.config import GeneratorConfig
from citygen.gazetteer import CITIES

_TEXT = """\
# Ground truth for this generated city

Written by `hub generate` beside the exports it describes. Nothing here is visible to a hub; it
is what `hub score` holds a `hub resolve` run to. Run summary (counts, coverage, bad rows, noise
and hard-pair counts) is in `summary.json`.

## Files

### records.jsonl — one line per written row (good or bad)

```json
{{"file": "health_20240601.csv", "row": 17, "source": "health", "record_id": "33010600012345678",
 "person_id": "P00001234", "address_id": "330106-E00042-3-2-501", "organization_id": null,
 "updated_ms": 1717900000000, "noise": ["name_traditional", "id_wrong_digit"]}}
```

- `file`, `row`: the export file and the 1-based data record in it (after the header; an RFC 4180
  quoted field with a line break is still one record; for JSON Lines, the line).
- `record_id`: the record key as written; null when the row is bad and its key is unreadable (key
  blank, or a tax line that is not JSON at all: truncated, or not UTF-8).
- `person_id`: the true person the row is about (commerce: its legal representative). Every row
  written names a person, so it is never null here; a hub must output null only for rows naming
  no one. One record key always belongs to one person, in every version.
- `address_id`: the true place of the row's *primary* address (civil affairs 居住地址, health
  现住址, HRSS 通讯地址, tax jzdz, commerce 住所); null when that column is blank.
- `organization_id`: commerce rows — the business; HRSS and tax rows — the employer, when the row
  names one (employer name or credit code not blank); otherwise null.
- `updated_ms`: the row's update time as epoch milliseconds (what its time column says).
- `noise`: what was done to the row (see the table below). Rows written twice byte for byte carry
  `duplicate` on the copy; an older version delivered late in a delta carries `stale_late`.
- `bad`: present only on unreadable rows, with the reason: `bad_encoding`, `wrong_column_count`,
  `missing_required`, `bad_datetime` (update time or a date column unparsable or impossible),
  `invalid_enum` (a code outside the spec's list), `truncated_json` (tax). Bad rows are never
  used for any other truth value.

### citizens.jsonl — one line per true person with at least one good row

The shape of the `hub resolve --masters` contract, with `person_id` instead of `citizen_id`:

```json
{{"person_id": "P00001234", "name": "陈晓明", "id_number": "330106198503121234",
 "birth_date": "1985-03-12", "gender": "male", "phone": "13912345678",
 "address_id": "330106-E00042-3-2-501", "registered_address_id": "330106-E00042-3-2-501",
 "death_date": null}}
```

Values are what a correct hub shows after survivorship and 及时更新, computed from the person's
good rows only, reading only the **latest version of each record** (greatest update time; a
stale late row or a bad newer row never counts):

- `name`: the legal name in simplified characters, no spaces, minority names with `·` — taken
  from the most authoritative source that has the person (civil affairs, then HRSS, then health,
  then tax, then commerce; within one department the most recently updated record). A homophone
  slip is never planted in that source, so this is always the person's legal name.
- `id_number`: the first *valid* 18-digit resident ID in that authority order (a legacy 15-digit ID
  counts, upgraded to 18 digits; a typo'd ID never counts); upper-case `X`. People without a
  resident ID (passport / 港澳 / 台湾 permit holders) get their document number (upper case, no
  spaces), health before tax. A typo is never planted in a person's only ID-bearing record, so
  anyone with a resident ID in any good row gets it here.
- Every resident ID the generator calls valid passes python-stdnum's full `stdnum.cn.ric`
  validation (check character, birth date, and a region code that existed in the birth year per
  its GB/T 2260 history — so older natives carry codes like 330120 or a former county's).
- `birth_date`, `gender`: what the chosen resident ID encodes (its digits win over a typed column
  that disagrees: rows tagged `birth_differs_from_id`); without one, the first value present in
  authority order (tax and commerce have none; health 性别代码 0/9 is unknown); else null.
- `phone`: digits only (mobile 11 digits; landline with the city's area code even when written
  without it, e.g. `88886666` → `{area}88886666`). From the latest version with a phone that was
  updated most recently, over civil affairs, health, HRSS and tax; equal times go to the more
  authoritative source, then the smaller record key. **Commerce is excluded**: its 联系电话 is the
  business's (often a company landline), not the citizen's.
- `address_id`: the current residence (及时更新): the most recently updated latest version with an
  address among civil affairs, health, HRSS and tax (a mover may tell any department first; some
  movers' civil-affairs records hear of the move only after the exports). Equal times go to the
  more authoritative source. **Commerce is excluded**: 住所 is the business's registered address.
- `registered_address_id`: the registered (户籍) address, owned by civil affairs: its most recently
  updated latest version's residence address; null when civil affairs has no record.
- `death_date`: from health (any latest health version recording a death), else civil affairs.

### hard_pairs.jsonl — pairs of different people a hub must never merge

`{{"a": "P…", "b": "P…", "kind": "…"}}`, both persons appearing in good rows, `a < b`. Kinds:

- `twins`: same household, surname, birth date, address and household phone; IDs with
  neighbouring sequence numbers; similar given names (张伟/张玮, 子涵/子轩).
- `parent_child_same_name`: a son with his father's full legal name, same address, different
  birth date.
- `namesake_same_birth`: every pair of people with the same legal name and birth date (planted or
  by chance), different IDs and addresses.
- `namesake_same_name`: planted: same legal name, same district, different birth date and ID.
- `shared_landline`: household members whose records carry the same household landline.
- `shared_mobile`: household members whose records carry the same mobile (a child's records with
  a parent's number).
- `recycled_mobile`: a mobile number one person gave up and the carrier re-issued to another
  90+ days later (old records of the first, new records of the second carry it).

A pair can appear under more than one kind.

### addresses.jsonl — every true place that is some good row's primary address

One physical place = one id: the same flat (estate, building, unit, room), the same village house
(town, village, number: houses are numbered within the village, and the group, 组, written as 3组,
三组, ３组 or left out, is a qualifier; a few villages number each group on its own, and there the
house is town, village, group, number, and a spelling without its group is ambiguous), the same office suite (road, number, building, room) or the same
shop front (road, number). Components and the canonical full text are given. Every spelling of a
place (province/city/district omitted, 12号/十二号/１２号, 幢/栋/号楼/3-2-501, 单元 written or
not for a single-unit building, with or without the road or the 小区 name, stray spaces,
traditional characters) keeps its id. Different places stay different even when their names are
confusable: roads `X路` and `X街` are different roads when both exist; the same road name can
exist in several districts (人民路), and so can an estate name (阳光花园 in two districts: two
places; within one district estate names are unique); estates `翠苑一区`/`翠苑二区` are different
estates. Ids are
readable but opaque to a hub: `330106-E00042-3-2-501` (flat), `330109-V-瓜沥镇-明朗村-157`
(house; `330109-V-瓜沥镇-明朗村-3-15` in a village that numbers per group), `330106-O-文三路-90-1-501` (office), `330102-S-延安路-12` (shop).

### organizations.jsonl — every business some good row names

Name, unified social credit code (valid GB 32100 check character, new-style MA… organization
code with a valid GB 11714 check), type, registered address id. Employees write their employer
by full name or short name (字号+行业), with the credit code blank or lower-case at times.

## How `hub score` uses these files

`hub score --truth DIR/truth --out OUT.jsonl [--masters MASTERS.jsonl]` matches each good truth
row to a `hub resolve` output row by (source, record_id); the rows of one key are aligned in
order, so resolve must be given the files in name order (base, then deltas by date — what a shell
glob gives) and keep each key's rows in input order. Items are good rows: citizens are scored on
rows naming a person, addresses on rows with an address, organizations on rows naming one; an
item resolve left without an id counts as a cluster of its own. Pairwise precision/recall/F1 and
B-cubed come from cluster sizes. A hard pair is a forbidden merge when some predicted citizen holds
rows of both people. A person's master is the predicted citizen holding most of their rows; its
`address_id` is mapped to the true place most of that predicted address's rows have. Rows the hub
flags with `"error"` are compared with the bad rows by key.

## Noise: what was done, and at what rate

Rates are set in `citygen/config.py` (the values of this run follow). Persistent
typing (an ID or name typed once) is drawn per record; presentation (address, phone spelling) per
record and value; life events per person or household per month; file mess per written row.
`summary.json` → `noise_rows` counts rows carrying each tag.

- `id_wrong_digit`, `id_transposition`: content typo, checksum broken; never in a person's only
  ID-bearing record; may be fixed in a later delta (the fixed rows carry `id_corrected`).
- `id_legacy15`: the 15-digit first-generation ID (health files it under 02 mostly).
- `id_blank`: no ID though the person has one.
- `id_lower_x`, `id_fullwidth`, `id_spaces`: presentation; normalises back to the valid ID.
- `no_resident_id`: a resident's record with no resident ID at all (health 02 with another
  document or blank, tax 208 with the person's passport); links only by name + birth date +
  phone/address.
- `planted_typo_traditional`: civil affairs holds the valid ID, this health record a typo'd ID
  and a traditional-character name.
- `name_traditional`, `name_spaces`, `name_dot_variant`: presentation (陳曉明, 张 伟,
  阿卜杜•热合曼 / 阿卜杜.热合曼 / 阿卜杜．热合曼 / 阿卜杜热合曼).
- `name_homophone_typo`: content slip in a less authoritative record (张玮 for 张伟).
- `phone_blank`, `birth_blank`, `address_blank`: value missing.
- `hukou_newline`: civil affairs 户籍地址 with a line break inside its quotes (RFC 4180).
- `stale_late`: an older version of a record (older update time than its base row) in a delta.
- `duplicate`: the same bytes written again, later in the same file or in a later delta.

People without a record of a kind are the coverage gaps (`summary.json` → `coverage`). More than
one record in a department for one person is a duplicate to merge: a second health archive, an
old (terminated) HRSS number next to the current one. Life events in the delta months make new
versions: moves (civil affairs follows fast, other departments late or never — stale addresses),
phone changes, deaths (health first, civil affairs later), employer changes (HRSS, tax),
businesses 注销/吊销, ID typo corrections, re-saves with no change.

## This run's rates

```json
{rates}
```
"""


def truth_readme(summary: dict[str, Any], config: GeneratorConfig) -> str:
    rates = {"coverage": asdict(config.coverage), "population": asdict(config.population),
             "events": asdict(config.events), "mess": asdict(config.mess)}
    area = CITIES[summary["city"]].area_code
    return _TEXT.format(rates=json.dumps(rates, ensure_ascii=False, indent=2), area=area)
