"""`hub resolve` and `hub explain` as outside checks call them: the contract of docs/departments.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from citygen.engine import generate

ROW_KEYS = {"source", "record_id", "citizen_id", "address_id", "organization_id"}
MASTER_KEYS = {"citizen_id", "name", "id_number", "birth_date", "gender", "phone", "address_id",
               "registered_address_id", "death_date"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


STATE: dict[str, str] = {}


def hub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli.main import main; main()", *args],
        capture_output=True, text=True, check=False, env={**os.environ, **STATE},
    )


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], list[dict]]:
    city = tmp_path_factory.mktemp("city")
    STATE["HUB_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))  # where resolve leaves its explanations
    generate(150, 5, city)
    out, masters = city.parent / "out.jsonl", city.parent / "masters.jsonl"
    exports = sorted(str(p) for p in city.iterdir() if p.is_file())
    done = hub("resolve", *exports, "--city", "330100", "--out", str(out), "--masters", str(masters))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return city, rows, [json.loads(line) for line in masters.read_text(encoding="utf-8").splitlines()]


def test_one_line_per_input_row_with_the_contract_keys(resolved: tuple[Path, list[dict], list[dict]]) -> None:
    city, rows, _ = resolved
    truth = (city / "truth" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rows) == len(truth)
    for row in rows:
        if "error" in row:
            assert set(row) == ROW_KEYS | {"error"} and row["error"]
            assert row["citizen_id"] is None and row["address_id"] is None and row["organization_id"] is None
        else:
            assert set(row) == ROW_KEYS
            assert row["source"] in {"civil_affairs", "health", "hrss", "tax", "commerce"}
            assert row["citizen_id"] is None or row["citizen_id"].startswith("C-")
            assert row["address_id"] is None or row["address_id"].startswith("A-")
            assert row["organization_id"] is None or row["organization_id"].startswith("O-")
    assert any("error" in row for row in rows), "the generator plants bad rows; they must be reported"
    assert all(r["organization_id"] for r in rows if r["source"] == "commerce" and "error" not in r)


def test_masters_have_the_contract_shape(resolved: tuple[Path, list[dict], list[dict]]) -> None:
    _, rows, masters = resolved
    row_addresses = {r["address_id"] for r in rows if r["address_id"]}
    assert {m["citizen_id"] for m in masters} == {r["citizen_id"] for r in rows if r["citizen_id"]}
    for master in masters:
        assert set(master) == MASTER_KEYS
        assert master["gender"] in {"male", "female", None}
        assert master["birth_date"] is None or DATE.match(master["birth_date"])
        assert master["death_date"] is None or DATE.match(master["death_date"])
        assert master["phone"] is None or master["phone"].isdigit()
        assert master["address_id"] is None or master["address_id"] in row_addresses
        assert master["registered_address_id"] is None or master["registered_address_id"] in row_addresses
        name = master["name"]
        assert name and (name.isascii() or " " not in name), "Chinese names carry no stray spaces"
        assert "•" not in name and "．" not in name, "minority names use the middle dot ·"
        number = master["id_number"]
        if number and len(number) == 18 and number[:17].isdigit():
            assert number[17] in "0123456789X"


def test_explain_names_every_record_and_link(resolved: tuple[Path, list[dict], list[dict]]) -> None:
    city, rows, _ = resolved
    counts: dict[str, int] = {}
    for row in rows:
        if row["citizen_id"]:
            counts[row["citizen_id"]] = counts.get(row["citizen_id"], 0) + 1
    citizen = max(sorted(counts), key=lambda c: counts[c])
    done = hub("explain", citizen, "--files", str(city))
    assert done.returncode == 0, done.stderr
    explained = json.loads(done.stdout)
    recorded = hub("explain", citizen)  # what the last `hub resolve` recorded, no files needed
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout) == explained
    assert explained["citizen_id"] == citizen
    assert len(explained["records"]) >= 2
    assert len(explained["links"]) >= len(explained["records"]) - 1
    assert all(link["reason"] for link in explained["links"])


def test_unknown_input_is_one_clear_error(tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("x", encoding="utf-8")
    done = hub("resolve", str(stray), "--out", str(tmp_path / "o.jsonl"))
    assert done.returncode == 1
    assert done.stderr.startswith("error:") and "Traceback" not in done.stderr


def test_an_unwritable_explain_index_only_warns(resolved: tuple[Path, list[dict], list[dict]], tmp_path: Path) -> None:
    """The rows and masters are the command's job; the explain index is a convenience on top."""
    city, rows, _ = resolved
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", "from hub.cli.main import main; main()", "resolve", str(city), "--city", "330100",
         "--out", str(out)],
        capture_output=True, text=True, check=False, env={**os.environ, "HUB_STATE_DIR": str(blocker / "state")},
    )
    assert done.returncode == 0, done.stderr
    assert "explain index not written" in done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(rows)


def _explanation_as_built_before(resolution, citizen_id: str) -> dict:  # type: ignore[no-untyped-def]
    """The explanation as `hub explain` printed it before the index went compact (the reference)."""
    master = resolution.masters[citizen_id]
    members = set(master.records)
    clustering = resolution.component_of[citizen_id].clustering
    return {
        "citizen_id": citizen_id,
        "records": sorted(members),
        "links": [{"a": e.a, "b": e.b, "reason": e.reason}
                  for e in clustering.accepted if e.a in members and e.b in members],
        "refused_links": [{"a": e.a, "b": e.b, "reason": e.reason + " — refused: would join two different resident IDs"}
                          for e in clustering.rejected if e.a in members or e.b in members],
        "fields": {name: {"source": v.source, "record_id": v.record_id, "updated_at": v.updated_at}
                   for name, v in sorted(master.fields.items())},
    }


def _printed(found: dict) -> str:
    from hub.batch.driver import isoformat as _isoformat

    return json.dumps(found, ensure_ascii=False, indent=2, default=_isoformat)


def test_the_explain_index_gives_every_citizen_the_same_explanation(
    resolved: tuple[Path, list[dict], list[dict]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is compact, but what `hub explain` prints from it is the full explanation, for every
    citizen; namesakes in one component (a record without ID links both) keep their links apart."""
    from datetime import date

    from hub.batch.driver import explanation, read_explanation, run_resolve, write_explanations
    from hub.contract.records import CivilAffairsRecord, Gender, HealthRecord
    from hub.engine.resolver import Resolver
    from tests.fixtures.engine import at, city_records

    monkeypatch.setenv("HUB_STATE_DIR", str(tmp_path / "state"))
    home, born = "拱墅区米市巷街道XX小区3幢1单元302室", date(1990, 1, 1)
    namesakes = [
        CivilAffairsRecord(record_id=f"MZ2{i}", name="王芳", gender=Gender.FEMALE, id_number=number, birth_date=born,
                           residence_address=home, phone="13900001111", updated_at=at(2))
        for i, number in enumerate(("330102199001010020", "440305199001010026"))
    ] + [HealthRecord(record_id="WJ20", name="王芳", gender=Gender.FEMALE, birth_date=born, address=home,
                      phone="13900001111", updated_at=at(6))]
    hand_made = Resolver("330100", b"test-key")
    hand_made.add_all(city_records() + namesakes)
    city, _, _ = resolved
    _, _, generated = run_resolve([city], "330100")
    for resolution in (hand_made.resolve(), generated):
        write_explanations(resolution)
        for citizen_id in resolution.masters:
            expected = _printed(_explanation_as_built_before(resolution, citizen_id))
            assert _printed(explanation(resolution, citizen_id)) == expected
            assert _printed(read_explanation(citizen_id)) == expected
    shared = [c for c in hand_made.current.components if len(c.clusters) > 1]
    assert shared and all(c.clustering.rejected for c in shared), "the case this test is about"


def test_rows_are_written_one_per_input_row_in_contract_shape(resolved: tuple[Path, list[dict], list[dict]]) -> None:
    """docs/departments.md: a line per input row, in input order; a good row names its citizen, address and
    organization, a bad row its reason and no ids."""
    import io

    import orjson

    from hub.batch.driver import run_resolve, write_rows

    city, _, _ = resolved
    _, outcomes, resolution = run_resolve([city], "330100")
    written = io.BytesIO()
    assert write_rows(written, outcomes, resolution) == len(outcomes)
    rows = [orjson.loads(line) for line in written.getvalue().splitlines()]
    assert [(r["source"], r["record_id"]) for r in rows] == [(o.source, o.record_id) for o in outcomes]
    places, orgs = set(resolution.place_of_text.values()), set(resolution.organization_of_key.values())
    good = [r for r in rows if "error" not in r]
    bad = [r for r in rows if "error" in r]
    assert good and bad, "the generated city has both"
    for row in good:
        assert set(row) == {"source", "record_id", "citizen_id", "address_id", "organization_id"}
        assert row["citizen_id"] is None or row["citizen_id"] in resolution.masters
        assert row["address_id"] is None or row["address_id"] in places
        assert row["organization_id"] is None or row["organization_id"] in orgs
    assert all(r["citizen_id"] for r in good if r["source"] != "commerce")
    for row in bad:
        assert row["error"] and row["citizen_id"] is row["address_id"] is row["organization_id"] is None


def test_masters_are_written_by_citizen_id(resolved: tuple[Path, list[dict], list[dict]]) -> None:
    """By id, whatever the order the masters were built in, each its contract row (as `hub export masters`)."""
    import io

    import orjson

    from hub.batch.driver import run_resolve, write_masters

    city, _, _ = resolved
    _, _, resolution = run_resolve([city], "330100")
    assert list(resolution.masters) != sorted(resolution.masters), "the case this test is about"
    written = io.BytesIO()
    assert write_masters(written, resolution) == len(resolution.masters)
    assert written.getvalue() == b"".join(
        orjson.dumps(resolution.masters[c].contract_row()) + b"\n" for c in sorted(resolution.masters)
    )


def test_an_index_from_before_the_compact_form_still_explains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import orjson

    from hub.batch.driver import explain_index_path, read_explanation

    monkeypatch.setenv("HUB_STATE_DIR", str(tmp_path))
    old = {"citizen_id": "C-1", "records": ["hrss/1"], "links": [], "refused_links": [],
           "fields": {"name": {"source": "hrss", "record_id": "1", "updated_at": "2024-01-01T09:00:00+08:00"}}}
    explain_index_path().parent.mkdir(parents=True)
    explain_index_path().write_bytes(orjson.dumps(old) + b"\n")
    assert read_explanation("C-1") == old
