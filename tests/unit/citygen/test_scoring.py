"""Scoring functions on hand-made examples with known answers, and `hub score` end to end on a generated
city with a perfect and a deliberately wrong resolution."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from citygen import generate
from citygen.scoring import cluster_scores, forbidden_merges, majority, master_accuracy, score
from hub.cli.score import register


def test_hand_made_example() -> None:
    # truth a a a b b ; predicted 1 1 2 2 2: cells (1,a)=2 (2,a)=1 (2,b)=2
    s = cluster_scores([1, 1, 2, 2, 2], ["a", "a", "a", "b", "b"])
    assert (s.correct_pairs, s.predicted_pairs, s.true_pairs) == (2, 4, 4)
    assert s.pair_precision == pytest.approx(0.5) and s.pair_recall == pytest.approx(0.5)
    assert s.pair_f1 == pytest.approx(0.5)
    assert s.bcubed_precision == pytest.approx(11 / 15) and s.bcubed_recall == pytest.approx(11 / 15)
    assert s.bcubed_f1 == pytest.approx(11 / 15)


def test_perfect_clustering_whatever_the_label_names() -> None:
    s = cluster_scores(["x", "x", "y", "z"], [1, 1, 2, 3])
    assert s.pair_f1 == 1.0 and s.bcubed_f1 == 1.0


def test_all_singletons() -> None:
    s = cluster_scores([1, 2, 3, 4], ["a", "a", "a", "b"])
    assert s.predicted_pairs == 0 and s.pair_precision == 1.0 and s.pair_recall == 0.0 and s.pair_f1 == 0.0
    assert s.bcubed_precision == 1.0
    assert s.bcubed_recall == pytest.approx((3 * (1 / 3) + 1) / 4)


def test_one_big_cluster() -> None:
    s = cluster_scores(["c"] * 4, ["a", "b", "c", "d"])
    assert s.true_pairs == 0 and s.pair_precision == 0.0 and s.pair_recall == 1.0 and s.pair_f1 == 0.0
    assert s.bcubed_precision == pytest.approx(0.25) and s.bcubed_recall == 1.0


def test_one_big_true_cluster_found() -> None:
    s = cluster_scores(["c"] * 5, ["a"] * 5)
    assert (s.pair_precision, s.pair_recall, s.bcubed_precision, s.bcubed_recall) == (1.0, 1.0, 1.0, 1.0)


def test_unlabelled_items_are_singletons() -> None:
    s = cluster_scores([None, None, "k"], ["a", "a", "b"])
    assert s.predicted_pairs == 0 and s.pair_recall == 0.0


def test_empty_and_mismatched() -> None:
    s = cluster_scores([], [])
    assert s.items == 0 and s.pair_f1 == 1.0 and s.bcubed_f1 == 1.0
    with pytest.raises(ValueError):
        cluster_scores([1], [1, 2])


def test_pair_counts_scale_without_enumerating_pairs() -> None:
    n = 200_000
    s = cluster_scores([i // 4 for i in range(n)], [i // 2 for i in range(n)])
    assert s.true_pairs == n // 2 and s.predicted_pairs == 6 * (n // 4) and s.correct_pairs == n // 2
    assert s.pair_recall == 1.0 and s.pair_precision == pytest.approx(1 / 3)


def test_majority_is_deterministic() -> None:
    assert majority(["b", "a", "b", None]) == "b"
    assert majority(["b", "a"]) == "a"
    assert majority([None, None]) is None


def test_forbidden_merges() -> None:
    clusters = {"p1": {"C1"}, "p2": {"C1", "C2"}, "p3": {"C3"}, "p4": {"C4"}}
    merged, total = forbidden_merges(clusters, [("p1", "p2", "twins"), ("p3", "p4", "twins"),
                                                ("p1", "p5", "namesake_same_birth")])
    assert merged == Counter({"twins": 1})
    assert total == Counter({"twins": 2, "namesake_same_birth": 1})


def test_master_accuracy() -> None:
    truth = [
        {"person_id": "p1", "name": "张伟", "id_number": "1", "birth_date": "2000-01-01", "gender": "male",
         "phone": "13900000000", "address_id": "A1", "death_date": None},
        {"person_id": "p2", "name": "李娜", "id_number": "2", "birth_date": None, "gender": "female",
         "phone": None, "address_id": "A2", "death_date": None},
        {"person_id": "p3", "name": "王芳", "id_number": "3", "birth_date": None, "gender": None,
         "phone": None, "address_id": None, "death_date": None},
    ]
    masters: dict[Any, dict[str, Any]] = {
        "C1": {**truth[0], "address_id": "a-x"},
        "C2": {**truth[1], "phone": "13911111111", "address_id": "a-y"},
    }
    count, fields = master_accuracy(truth, {"p1": "C1", "p2": "C2", "p3": None}, masters,
                                    {"a-x": "A1", "a-y": "A9"})
    assert count == 3
    assert fields["name"] == pytest.approx(2 / 3)
    assert fields["phone"] == pytest.approx(1 / 3)
    assert fields["address_id"] == pytest.approx(1 / 3)
    assert fields["all"] == pytest.approx(1 / 3)


# --- end to end on a generated city ---------------------------------------------------------------

@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scored")
    generate(1200, 5, out, deltas=2, workers=1)
    return out


def _records(city: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (city / "truth" / "records.jsonl").read_bytes().splitlines()]


def _write_resolution(city: Path, path: Path, citizen_of: dict[str, str]) -> None:
    """A resolve output built from the truth, in input order (files sorted, rows in order)."""
    rows = sorted(_records(city), key=lambda r: (r["file"], r["row"]))
    with open(path, "wb") as out:
        for r in rows:
            if "bad" in r:
                obj = {"source": r["source"], "record_id": r["record_id"], "citizen_id": None, "address_id": None,
                       "organization_id": None, "error": r["bad"]}
            else:
                obj = {"source": r["source"], "record_id": r["record_id"],
                       "citizen_id": citizen_of.get(r["person_id"], "C-" + r["person_id"]),
                       "address_id": r["address_id"] and "A-" + r["address_id"],
                       "organization_id": r["organization_id"] and "O-" + r["organization_id"]}
            out.write(orjson.dumps(obj) + b"\n")


def _write_masters(city: Path, path: Path) -> None:
    with open(path, "wb") as out:
        for line in (city / "truth" / "citizens.jsonl").read_bytes().splitlines():
            c = orjson.loads(line)
            master = {**c, "citizen_id": "C-" + c.pop("person_id")}
            for name in ("address_id", "registered_address_id"):
                master[name] = master[name] and "A-" + master[name]
            out.write(orjson.dumps(master) + b"\n")


def test_perfect_resolution_scores_one(city: Path, tmp_path: Path) -> None:
    _write_resolution(city, tmp_path / "out.jsonl", {})
    _write_masters(city, tmp_path / "masters.jsonl")
    report = score(city / "truth", tmp_path / "out.jsonl", tmp_path / "masters.jsonl")
    for s in (report.citizens, report.addresses, report.organizations):
        assert s.pair_f1 == 1.0 and s.bcubed_f1 == 1.0
    assert sum(report.forbidden.values()) == 0 and sum(report.hard_pairs.values()) > 0
    assert report.bad_flagged == report.bad_truth > 0 and report.unmatched_keys == 0
    assert all(value == 1.0 for value in report.master_fields.values())
    assert all(ok == n for ok, n in report.linked.values())


def test_merging_look_alikes_is_caught(city: Path, tmp_path: Path) -> None:
    pairs = [orjson.loads(line) for line in (city / "truth" / "hard_pairs.jsonl").read_bytes().splitlines()]
    merge = {p["b"]: "C-" + p["a"] for p in pairs}
    _write_resolution(city, tmp_path / "out.jsonl", merge)
    report = score(city / "truth", tmp_path / "out.jsonl")
    assert sum(report.forbidden.values()) > 0
    assert report.citizens.pair_precision < 1.0 and report.citizens.pair_recall == 1.0


def test_score_command(city: Path, tmp_path: Path) -> None:
    _write_resolution(city, tmp_path / "out.jsonl", {})
    _write_masters(city, tmp_path / "masters.jsonl")
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps typer from collapsing the app into one command
        """Nothing."""

    result = CliRunner().invoke(app, ["score", "--truth", str(city / "truth"), "--out", str(tmp_path / "out.jsonl"),
                                      "--masters", str(tmp_path / "masters.jsonl"), "--json",
                                      str(tmp_path / "scores.json")])
    assert result.exit_code == 0, result.output
    assert "citizens" in result.output and "forbidden merges: 0" in result.output
    assert orjson.loads((tmp_path / "scores.json").read_bytes())["citizens"]["pair_f1"] == 1.0
