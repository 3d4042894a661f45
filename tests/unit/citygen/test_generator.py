"""The generator writes exactly the department formats, deterministically, with the mess and the truth it
claims. The checks here read the files with an independent little reader, not the hub's parsers."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from opencc import OpenCC
from stdnum.cn import ric

from citygen import generate
from citygen.config import GeneratorConfig, PopulationRates
from citygen.identity import upgrade_legacy
from citygen.writers import FORMATS

PERSONS = 2500
#: plant look-alikes often enough that a small city surely has every kind
PLANTED = GeneratorConfig(population=replace(PopulationRates(), twins=0.3, parent_child_same_name=0.2,
                                             namesake_same_birth=0.08, namesake_same_name=0.08))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    generate(PERSONS, 11, out, deltas=2, config=PLANTED, workers=1, chunk_persons=1000)
    return out


def _digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _truth_rows(city: Path) -> dict[tuple[str, int], dict[str, Any]]:
    rows = {}
    for line in (city / "truth" / "records.jsonl").read_bytes().splitlines():
        obj = orjson.loads(line)
        rows[(obj["file"], obj["row"])] = obj
    return rows


def _citizens(city: Path) -> dict[str, dict[str, Any]]:
    lines = (city / "truth" / "citizens.jsonl").read_bytes().splitlines()
    return {c["person_id"]: c for c in map(orjson.loads, lines)}


# --- an independent reader of the five formats ---------------------------------------------------

_TIME_FORMATS = {"civil_affairs": "%Y-%m-%d %H:%M:%S", "hrss": "%Y/%m/%d %H:%M", "commerce": "%Y-%m-%d"}
_DATE_FORMATS = {"dash": "%Y-%m-%d", "date8": "%Y%m%d"}


def _read(path: Path) -> tuple[list[str], list[list[str] | dict[str, Any] | None]]:
    """Header and records of an export; a record that cannot be decoded at all is None (tax only)."""
    data = path.read_bytes()
    source = path.name.split("_2")[0].rsplit(".", 1)[0]
    fmt = FORMATS[source]
    if fmt.jsonl:
        records: list[list[str] | dict[str, Any] | None] = []
        for line in data.split(b"\n")[:-1]:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                records.append({"\udcff": "not UTF-8"})  # shows up as bad encoding below
                continue
            try:
                records.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                records.append(None)
        return list(fmt.columns), records
    if fmt.bom:
        assert data.startswith(b"\xef\xbb\xbf"), f"{path.name} lacks its BOM"
        data = data[3:]
    else:
        assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode(fmt.encoding, errors="surrogateescape")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    if fmt.bom:
        assert text.endswith("\r\n") or not parsed[1:], "civil affairs lines end with CRLF"
    return parsed[0], list(parsed[1:])


def _problems(source: str, header: list[str], record: list[str] | dict[str, Any] | None) -> set[str]:
    """Which of the spec's bad-row kinds this record shows (empty: a readable row)."""
    fmt = FORMATS[source]
    if record is None:
        return {"truncated_json"}
    if isinstance(record, dict):
        values = {k: ("" if v is None else str(v)) for k, v in record.items()}
        if "\udcff" in values:
            return {"bad_encoding"}
        found: set[str] = set()
    else:
        found = set()
        if any("\udc80" <= ch <= "\udcff" for v in record for ch in v):
            found.add("bad_encoding")
        if len(record) != len(header):
            return found | {"wrong_column_count"}
        values = dict(zip(header, record, strict=True))
    if any(not values.get(column) for column in fmt.required):
        found.add("missing_required")
    updated = values.get(fmt.updated, "")
    if updated:
        try:
            if source == "tax":
                assert isinstance(record, dict) and isinstance(record["gxsj"], int)
            elif source == "health":
                assert datetime.fromisoformat(updated).tzinfo is not None
            else:
                datetime.strptime(updated, _TIME_FORMATS[source])
        except (ValueError, AssertionError):
            found.add("bad_datetime")
    for column, style in fmt.dates.items():
        if values.get(column):
            try:
                datetime.strptime(values[column], _DATE_FORMATS[style])
            except ValueError:
                found.add("bad_datetime")
    for column, allowed in fmt.enums.items():
        if values.get(column) and values[column] not in allowed:
            found.add("invalid_enum")
    return found


def _exports(city: Path) -> list[Path]:
    return sorted(p for p in city.iterdir() if p.is_file())


# --- tests ---------------------------------------------------------------------------------------

def test_same_seed_same_bytes(city: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(PERSONS, 11, again, deltas=2, config=PLANTED, workers=2, chunk_persons=1000)
    assert _digest(again) == _digest(city)


def test_other_seed_other_city(tmp_path: Path) -> None:
    generate(300, 1, tmp_path / "a", deltas=1, workers=1)
    generate(300, 2, tmp_path / "b", deltas=1, workers=1)
    assert _digest(tmp_path / "a")["civil_affairs.csv"] != _digest(tmp_path / "b")["civil_affairs.csv"]


def test_file_set(city: Path) -> None:
    names = {p.name for p in _exports(city)}
    for prefix, ext in (("civil_affairs", "csv"), ("health", "csv"), ("hrss", "csv"), ("tax", "jsonl"),
                        ("commerce", "csv")):
        assert {f"{prefix}.{ext}", f"{prefix}_20240601.{ext}", f"{prefix}_20240701.{ext}"} <= names
    assert {"records.jsonl", "citizens.jsonl", "hard_pairs.jsonl", "addresses.jsonl", "organizations.jsonl",
            "summary.json", "README.md"} <= {p.name for p in (city / "truth").iterdir()}


def test_every_row_reads_per_spec_unless_the_truth_says_bad(city: Path) -> None:
    truth = _truth_rows(city)
    t2s = OpenCC("t2s")
    seen = 0
    for path in _exports(city):
        source = path.name.split("_2")[0].rsplit(".", 1)[0]
        header, records = _read(path)
        assert header == list(FORMATS[source].columns)
        for row, record in enumerate(records, start=1):
            obj = truth[(path.name, row)]
            seen += 1
            problems = _problems(source, header, record)
            if "bad" in obj:
                assert obj["bad"] in problems, (path.name, row, obj["bad"], problems, record)
                continue
            assert not problems, (path.name, row, problems, record)
            assert obj["source"] == source and record is not None
            values = record if isinstance(record, dict) else dict(zip(header, record, strict=True))
            assert values[FORMATS[source].key] == obj["record_id"]
            name = str(values[FORMATS[source].name])
            assert t2s.convert(name) == name or "name_traditional" in obj["noise"] or source == "commerce"
    assert seen == len(truth)


def test_update_times_in_the_truth_are_what_the_rows_say(city: Path) -> None:
    truth = _truth_rows(city)
    cst = timezone(timedelta(hours=8))
    for name, column, parse in (
        ("hrss.csv", "变更时间", lambda v: datetime.strptime(v, "%Y/%m/%d %H:%M").replace(tzinfo=cst)),
        ("civil_affairs.csv", "更新时间", lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S").replace(tzinfo=cst)),
        ("health.csv", "最后更新时间", datetime.fromisoformat),
        ("commerce.csv", "核准日期", lambda v: datetime.strptime(v, "%Y-%m-%d").replace(tzinfo=cst)),
    ):
        header, records = _read(city / name)
        for row, record in enumerate(records, start=1):
            obj = truth[(name, row)]
            if "bad" not in obj:
                assert isinstance(record, list)
                assert int(parse(record[header.index(column)]).timestamp() * 1000) == obj["updated_ms"]
    _, taxes = _read(city / "tax.jsonl")
    for row, record in enumerate(taxes, start=1):
        obj = truth[("tax.jsonl", row)]
        if "bad" not in obj:
            assert isinstance(record, dict) and record["gxsj"] == obj["updated_ms"]


def test_bad_rows_near_target_and_of_every_kind(city: Path) -> None:
    summary = orjson.loads((city / "truth" / "summary.json").read_bytes())
    assert 0.002 < summary["bad_share"] < 0.009
    kinds = {key.split(":")[1] for key in summary["bad_rows"]}
    assert {"bad_encoding", "wrong_column_count", "missing_required", "bad_datetime", "invalid_enum"} <= kinds


def test_coverage_is_realistic(city: Path) -> None:
    coverage = orjson.loads((city / "truth" / "summary.json").read_bytes())["coverage"]
    assert 0.85 < coverage["civil_affairs"] < 0.95
    assert 0.80 < coverage["health"] < 0.90
    assert 0.52 < coverage["hrss"] < 0.70
    assert 0.36 < coverage["tax"] < 0.54
    assert 0.01 < coverage["commerce"] < 0.06


def test_hard_pairs_of_every_kind(city: Path) -> None:
    pairs = [orjson.loads(line) for line in (city / "truth" / "hard_pairs.jsonl").read_bytes().splitlines()]
    kinds = Counter(p["kind"] for p in pairs)
    assert {"twins", "parent_child_same_name", "namesake_same_birth", "namesake_same_name", "shared_landline",
            "shared_mobile", "recycled_mobile"} <= set(kinds)
    citizens = _citizens(city)
    for pair in pairs:
        a, b = citizens[pair["a"]], citizens[pair["b"]]
        assert a["person_id"] < b["person_id"]
        if pair["kind"] in ("twins", "namesake_same_birth", "parent_child_same_name", "namesake_same_name"):
            assert a["id_number"] != b["id_number"]
        if pair["kind"] in ("namesake_same_birth", "parent_child_same_name", "namesake_same_name"):
            assert a["name"] == b["name"]
        if pair["kind"] in ("twins", "namesake_same_birth"):
            assert a["birth_date"] == b["birth_date"]
        if pair["kind"] == "twins":
            assert a["name"] != b["name"] and a["name"][0] == b["name"][0]


def _normalise_id(value: str) -> str:
    table = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
    return "".join(value.translate(table).split()).upper()


def test_id_checksums_valid_except_where_corrupted(city: Path) -> None:
    truth = _truth_rows(city)
    citizens = _citizens(city)
    checked: Counter[str] = Counter()
    for path in _exports(city):
        source = path.name.split("_2")[0].rsplit(".", 1)[0]
        column = {"civil_affairs": "公民身份号码", "hrss": "社会保障号码", "commerce": "法定代表人证件号码",
                  "health": "证件号码", "tax": "zjhm"}[source]
        header, records = _read(path)
        for row, record in enumerate(records, start=1):
            obj = truth[(path.name, row)]
            if "bad" in obj or "no_resident_id" in obj["noise"]:
                continue
            values = record if isinstance(record, dict) else dict(zip(header, record, strict=True))  # type: ignore[arg-type]
            written = _normalise_id(str(values.get(column) or ""))
            person_id = citizens[obj["person_id"]]["id_number"]
            if not written or not person_id or not ric.is_valid(person_id):
                continue
            noise = set(obj["noise"])
            if noise & {"id_wrong_digit", "id_transposition"}:
                assert not ric.is_valid(written), (path.name, row)
                checked["typo"] += 1
            elif "id_legacy15" in noise:
                assert len(written) == 15 and upgrade_legacy(written) == person_id
                checked["legacy"] += 1
            else:
                assert ric.is_valid(written) and written == person_id, (path.name, row, written)
                checked["valid"] += 1
    assert checked["typo"] > 10 and checked["legacy"] > 10 and checked["valid"] > 1000


def test_citizen_truth_is_clean(city: Path) -> None:
    t2s = OpenCC("t2s")
    for citizen in _citizens(city).values():
        assert citizen["name"] == t2s.convert(citizen["name"]) and " " not in citizen["name"]
        assert "•" not in citizen["name"] and "." not in citizen["name"]
        if citizen["id_number"] and citizen["id_number"][0].isdigit() and len(citizen["id_number"]) == 18:
            assert ric.is_valid(citizen["id_number"])
            assert citizen["birth_date"] == f"{citizen['id_number'][6:10]}-{citizen['id_number'][10:12]}-" \
                                            f"{citizen['id_number'][12:14]}"
        if citizen["phone"]:
            assert citizen["phone"].isdigit() and len(citizen["phone"]) in (11, 12)


def test_hard_merge_cases_exist(city: Path) -> None:
    truth = _truth_rows(city)
    noise = Counter(tag for obj in truth.values() for tag in obj["noise"])
    for tag in ("planted_typo_traditional", "no_resident_id", "name_traditional", "id_legacy15", "stale_late",
                "duplicate", "id_corrected", "name_spaces", "id_fullwidth", "id_lower_x"):
        assert noise[tag] > 0, tag
    # a person who moved: civil affairs' latest address differs from an address another department holds
    by_person: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for obj in truth.values():
        if "bad" not in obj and obj["address_id"]:
            by_person[obj["person_id"]].add((obj["source"], obj["address_id"]))
    movers = [p for p, s in by_person.items() if len({a for _, a in s}) > 1]
    assert len(movers) > 20


def test_duplicates_are_byte_identical(city: Path) -> None:
    truth = _truth_rows(city)
    for (name, row), obj in truth.items():
        if "duplicate" in obj["noise"]:
            originals = [o for o in truth.values() if o["record_id"] == obj["record_id"] and o["source"] ==
                         obj["source"] and o["updated_ms"] == obj["updated_ms"] and "duplicate" not in o["noise"]]
            assert originals, (name, row)


def test_names_survive_traditional_round_trip() -> None:
    from citygen.names import all_characters

    s2t, t2s = OpenCC("s2t"), OpenCC("t2s")
    for ch in all_characters():
        assert t2s.convert(s2t.convert(ch)) == ch and t2s.convert(ch) == ch, ch
        ch.encode("gbk")


def test_generated_names_survive_round_trip(city: Path) -> None:
    s2t, t2s = OpenCC("s2t"), OpenCC("t2s")
    for citizen in _citizens(city).values():
        assert t2s.convert(s2t.convert(citizen["name"])) == citizen["name"]


def _plain(text: str) -> str:
    """Address text with presentation undone: simplified, ASCII digits, no spaces."""
    text = OpenCC("t2s").convert(text).translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return "".join(text.split())


def test_address_text_names_its_true_place(city: Path) -> None:
    places = {p["address_id"]: p for p in map(orjson.loads, (city / "truth" / "addresses.jsonl").read_bytes()
                                              .splitlines())}
    truth = _truth_rows(city)
    header, records = _read(city / "civil_affairs.csv")
    column = header.index("居住地址")
    checked = 0
    for row, record in enumerate(records, start=1):
        obj = truth[("civil_affairs.csv", row)]
        if "bad" in obj or not obj["address_id"]:
            continue
        assert isinstance(record, list)
        text, place = _plain(record[column]), places[obj["address_id"]]
        if place["kind"] == "flat":
            assert str(place["room"]) in text, (text, place)
            assert place["estate"] in text or f"{place['road']}" in text, (text, place)
            checked += 1
        elif place["kind"] == "house":
            assert place["village"] in text, (text, place)
    assert checked > 500


def test_bad_rows_name_the_key_their_bytes_show(city: Path) -> None:
    """The truth names a bad row's key exactly when the reader can still read it from the bytes."""
    from connectors.formats import read_file

    truth = _truth_rows(city)
    named = unnamed = 0
    for path in sorted(city.glob("*.*")):
        for row, parsed in enumerate(read_file(path), start=1):
            obj = truth[(path.name, row)]
            if "bad" in obj:
                assert parsed.error is not None
                assert parsed.key == obj["record_id"], (path.name, parsed.line, obj["bad"], parsed.raw[:80])
                named += obj["record_id"] is not None
                unnamed += obj["record_id"] is None
    assert named > 5 * unnamed > 0


def test_typed_birth_dates_that_disagree_with_the_id_and_their_truth(city: Path) -> None:
    """Some rows type a birth date other than their valid ID's; the truth is the ID's date."""
    citizens = _citizens(city)
    differing = [obj for obj in _truth_rows(city).values() if "birth_differs_from_id" in obj["noise"]]
    assert differing
    for obj in differing:
        truth = citizens[obj["person_id"]]
        assert truth["birth_date"] == f"{truth['id_number'][6:10]}-{truth['id_number'][10:12]}-" \
                                      f"{truth['id_number'][12:14]}"


def test_no_record_shows_a_childs_own_mobile_before_the_child_could_have_one() -> None:
    from datetime import date

    from citygen.clock import day_start
    from citygen.departments import RecordPlan, _phone_at
    from citygen.population import MOBILE_AGE, Household, Person

    home = Household(1, [], "057188886666")
    mother = Person("P1", "王丽", "female", date(1985, 1, 1), "汉", home, "wife",
                    mobiles=[(0, "13900000001"), (day_start(date(2021, 6, 1)), "13900000002")])
    girl = Person("P2", "林小雨", "female", date(2010, 3, 1), "汉", home, "child", guardian=mother,
                  mobiles=[(0, "13900000003")])
    home.members += [mother, girl]
    plan = RecordPlan("health", "WJ1", girl, [])
    thirteen = day_start(date(2010 + MOBILE_AGE, 3, 1))
    assert _phone_at(plan, day_start(date(2020, 1, 1))) == "13900000001", "the guardian's number then"
    assert _phone_at(plan, thirteen - 1) == "13900000002", "the guardian's number after her change"
    assert _phone_at(plan, thirteen) == "13900000003", "the girl's own from her 13th birthday"
    girl.guardian = None
    home.members.remove(mother)
    assert _phone_at(plan, thirteen - 1) == "057188886666", "no parent with a mobile: the household landline"
