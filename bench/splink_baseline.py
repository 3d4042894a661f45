"""Splink (DuckDB backend) as a user would configure it from its tutorials, for side-by-side quality figures.

The bench's optional dependencies (`pip install -e '.[bench]'`: splink, duckdb, pandas,
recordlinkage) are imported lazily, inside functions, so the hub and its tests never need them.

City data: the five department exports are flattened into one table of person mentions (the
latest version of each record key, fields taken from the typed records that
`connectors.formats.read_file` yields), lightly cleaned as Splink's tutorials do (strip, lower /
upper case) and deduplicated with the tutorial recipe: blocking rules for predictions, u by random
sampling, m by expectation maximisation on two blocking rules, predict, connected components at a
match probability threshold. None of the hub's normalisers are used.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.formats import detect_source, read_file
from hub.contract.records import (
    CivilAffairsRecord,
    CommerceRecord,
    DepartmentRecord,
    HealthRecord,
    HrssRecord,
    TaxRecord,
)

__all__ = ["BENCH_HINT", "RowKey", "SplinkRun", "city_mentions", "clusters_from_splink", "require_bench", "run_city"]

logger = logging.getLogger(__name__)

BENCH_HINT = (
    "the quality bench needs its optional dependencies (splink, duckdb, pandas, recordlinkage):\n"
    "    .venv/bin/pip install -e '.[dev,bench]'"
)


def require_bench() -> None:
    """Exit with a clear message when the bench's optional dependencies are not installed."""
    missing = []
    for module in ("splink", "duckdb", "pandas", "recordlinkage"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        sys.stderr.write(f"missing {', '.join(missing)}: {BENCH_HINT}\n")
        raise SystemExit(2)


@dataclass(frozen=True, slots=True)
class SplinkRun:
    """Splink's clusters (unique_id → cluster id) and how long the whole run took."""

    clusters: dict[str, str]
    seconds: float
    pairs_scored: int


def _clean(value: str | None, upper: bool = False) -> str | None:
    """Tutorial-style cleaning: strip, fold case, blank → null."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    return text.upper() if upper else text.lower()


def _row(record: DepartmentRecord) -> dict[str, str | None] | None:
    """One person mention of a record, fields as the department wrote them (None if it names no person)."""
    name: str | None = None
    id_number: str | None = None
    birth: str | None = None
    gender: str | None = None
    phone: str | None = None
    address: str | None = None
    if isinstance(record, CivilAffairsRecord):
        name, id_number, phone, address = record.name, record.id_number, record.phone, record.residence_address
        birth = record.birth_date.isoformat() if record.birth_date else None
        gender = record.gender.value if record.gender else None
    elif isinstance(record, HealthRecord):
        name, id_number, phone, address = record.name, record.document_number, record.phone, record.address
        birth = record.birth_date.isoformat() if record.birth_date else None
        gender = record.gender.value if record.gender else None
    elif isinstance(record, HrssRecord):
        name, id_number, phone, address = record.name, record.id_number, record.phone, record.address
        birth = record.birth_date.isoformat() if record.birth_date else None
        gender = record.gender.value if record.gender else None
    elif isinstance(record, TaxRecord):
        name, id_number, phone, address = record.name, record.document_number, record.phone, record.address
    elif isinstance(record, CommerceRecord):
        # the legal representative: name and ID only (phone and address are the business's)
        name, id_number = record.legal_rep_name, record.legal_rep_id_number
    if not (name or id_number):
        return None
    return {
        "unique_id": f"{record.source}/{record.record_id}",
        "name": _clean(name),
        "id_number": _clean(id_number, upper=True),
        "birth_date": birth,
        "gender": gender,
        "phone": _clean(phone),
        "address": _clean(address),
    }


RowKey = tuple[str, str | None, bool]  # (source, record_id, readable) of one input row, in input order


def city_mentions(files: list[Path]) -> tuple[list[dict[str, str | None]], list[RowKey]]:
    """The latest version of every readable record key across `files` as flat person mentions, and the rows read."""
    latest: dict[str, DepartmentRecord] = {}
    order: list[RowKey] = []
    for path in files:
        source = detect_source(path)
        for parsed in read_file(path, source):
            record = parsed.record
            if record is None:
                order.append((parsed.source, None, False))
                continue
            order.append((record.source, record.record_id, True))
            key = f"{record.source}/{record.record_id}"
            current = latest.get(key)
            if current is None or record.updated_at >= current.updated_at:
                latest[key] = record
    rows = []
    for key in sorted(latest):
        row = _row(latest[key])
        if row is not None:
            rows.append(row)
    return rows, order


def clusters_from_splink(clustered: Any) -> dict[str, str]:
    """unique_id → cluster_id from Splink's clustered SplinkDataFrame."""
    frame = clustered.as_pandas_dataframe()
    return {str(u): str(c) for u, c in zip(frame["unique_id"], frame["cluster_id"], strict=True)}


def run_city(rows: list[dict[str, str | None]], threshold: float = 0.95, seed: int = 1) -> SplinkRun:
    """Deduplicate the city's person mentions with Splink (DuckDB), following the tutorial recipe."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    frame = pd.DataFrame(rows)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name", "birth_date"),
            block_on("phone"),
            block_on("name", "address"),
        ],
        comparisons=[
            cl.NameComparison("name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("gender"),
            cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address", [1, 3]),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    table = db_api.register(frame, dataset_display_name="city_mentions")
    linker = Linker(table, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name", "birth_date", "phone")], recall=0.8
    )
    logger.info("splink step at %.1fs", time.perf_counter() - started)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name", "birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    logger.info("splink step at %.1fs", time.perf_counter() - started)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    pairs = len(predictions.as_pandas_dataframe())
    logger.info("splink step at %.1fs", time.perf_counter() - started)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    clusters = clusters_from_splink(clustered)
    return SplinkRun(clusters=clusters, seconds=time.perf_counter() - started, pairs_scored=pairs)
