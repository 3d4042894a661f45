"""Estimate the match weights (log2 m/u per comparison level) from unlabelled data by EM.

Fellegi-Sunter with conditional independence: each candidate pair is a vector of comparison
levels; EM finds the share of matches and, per field, how often each level occurs among matches
(m) and non-matches (u). It runs offline (`hub weights estimate`); the result is written to a
policy file and fixed at run time, so resolution stays deterministic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

from hub.engine.compare import compare_persons
from hub.engine.policy import MatchWeights, ResolutionPolicy
from hub.engine.state import EngineState

FIELD_OF_LEVEL = {name: name.split("_", 1)[0] for name in MatchWeights.model_fields}
LEVELS_OF_FIELD: dict[str, list[str]] = defaultdict(list)
for _level, _field in FIELD_OF_LEVEL.items():
    LEVELS_OF_FIELD[_field].append(_level)

Vector = tuple[str, ...]


def comparison_vectors(state: EngineState, policy: ResolutionPolicy, limit: int = 500_000) -> list[Vector]:
    """Levels of every candidate pair the blocking finds, except the decided ones (same/different valid ID)."""
    vectors: list[Vector] = []
    for ref in sorted(state.latest):
        person = state.latest[ref].mentions.person
        if person is None:
            continue
        for other in sorted(state.person_candidates(ref)):
            if other <= ref:
                continue
            other_person = state.latest[other].mentions.person
            if other_person is None:
                continue
            comparison = compare_persons(person, other_person, policy.match)
            if math.isinf(comparison.score):
                continue
            vectors.append(comparison.levels)
            if len(vectors) >= limit:
                return vectors
    return vectors


def random_pair_vectors(state: EngineState, policy: ResolutionPolicy, pairs: int = 200_000,
                        seed: int = 2014) -> list[Vector]:
    """Levels of random record pairs: almost all non-matches, so their level frequencies estimate u.

    Candidate pairs alone would bias u: blocking on a phone makes phone agreement common among
    the non-matches it finds (Splink estimates u from random pairs for the same reason).
    """
    import random

    refs = sorted(r for r, v in state.latest.items() if v.mentions.person is not None)
    if len(refs) < 2:
        return []
    rnd = random.Random(seed)
    vectors: list[Vector] = []
    for _ in range(pairs):
        a, b = rnd.sample(refs, 2)
        pa, pb = state.latest[a].mentions.person, state.latest[b].mentions.person
        assert pa is not None and pb is not None
        comparison = compare_persons(pa, pb, policy.match)
        if not math.isinf(comparison.score):
            vectors.append(comparison.levels)
    return vectors


def u_from_random_pairs(vectors: Sequence[Vector]) -> dict[str, float]:
    """Per field, how often each level occurs among random pairs (smoothed)."""
    counts: dict[str, float] = defaultdict(float)
    totals: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for level in vector:
            counts[level] += 1
            totals[FIELD_OF_LEVEL[level]] += 1
    return {
        level: (counts[level] + 0.5) / (totals[field] + 0.5 * len(LEVELS_OF_FIELD[field]))
        for level, field in FIELD_OF_LEVEL.items()
    }


def estimate(
    vectors: Sequence[Vector],
    prior: MatchWeights,
    iterations: int = 30,
    fixed_u: dict[str, float] | None = None,
) -> tuple[MatchWeights, float]:
    """EM from the prior's weights; returns the new weights and the estimated share of matches.

    With `fixed_u` (from random pairs) only m and the match share are estimated, as Splink does.
    """
    fields = sorted(LEVELS_OF_FIELD)
    # start: m and u from the prior weights (m high for agreeing levels), and a guessed share
    m: dict[str, float] = {}
    u: dict[str, float] = {}
    for field in fields:
        levels = LEVELS_OF_FIELD[field]
        ratios = {lv: 2 ** getattr(prior, lv) for lv in levels}
        u_raw = {lv: 1.0 / (1.0 + ratios[lv]) for lv in levels}
        m_raw = {lv: ratios[lv] * u_raw[lv] for lv in levels}
        for store, raw in ((m, m_raw), (u, u_raw)):
            total = sum(raw.values())
            for lv in levels:
                store[lv] = raw[lv] / total
    if fixed_u is not None:
        u.update(fixed_u)
    share = 0.3
    counted = _count(vectors)
    for _ in range(iterations):
        m_num: dict[str, float] = defaultdict(float)
        u_num: dict[str, float] = defaultdict(float)
        m_den: dict[str, float] = defaultdict(float)
        u_den: dict[str, float] = defaultdict(float)
        matches = 0.0
        total = 0
        for vector, count in counted.items():
            log_m = math.log(share) + sum(math.log(m[lv]) for lv in vector)
            log_u = math.log(1 - share) + sum(math.log(u[lv]) for lv in vector)
            p = 1.0 / (1.0 + math.exp(min(700.0, log_u - log_m)))
            matches += p * count
            total += count
            for lv in vector:
                field = FIELD_OF_LEVEL[lv]
                m_num[lv] += p * count
                u_num[lv] += (1 - p) * count
                m_den[field] += p * count
                u_den[field] += (1 - p) * count
        share = min(max(matches / max(total, 1), 1e-6), 1 - 1e-6)
        for lv, field in FIELD_OF_LEVEL.items():
            m[lv] = max((m_num[lv] + 0.01) / (m_den[field] + 0.01 * len(LEVELS_OF_FIELD[field])), 1e-6)
            if fixed_u is None:
                u[lv] = max((u_num[lv] + 0.01) / (u_den[field] + 0.01 * len(LEVELS_OF_FIELD[field])), 1e-6)
    weights = {lv: round(max(-16.0, min(16.0, math.log2(m[lv] / u[lv]))), 2) for lv in FIELD_OF_LEVEL}
    return MatchWeights(**weights), share


def _count(vectors: Iterable[Vector]) -> dict[Vector, int]:
    counted: dict[Vector, int] = defaultdict(int)
    for vector in vectors:
        counted[vector] += 1
    return counted


def render_policy(policy: ResolutionPolicy, weights: MatchWeights, share: float, pairs: int) -> str:
    """A policy.toml with the estimated weights, keeping the authority table and threshold."""
    lines = [
        "# Resolution policy written by `hub weights estimate`",
        f"# EM over {pairs} candidate pairs; estimated share of matches among them: {share:.4f}",
        "",
        "[authority]",
    ]
    for name, sources in policy.authority.model_dump().items():
        lines.append(f"{name} = [{', '.join(repr(s).replace(chr(39), chr(34)) for s in sources)}]")
    lines += ["", "[match]", f"threshold = {policy.match.threshold}", "[match.weights]"]
    lines += [f"{name} = {value}" for name, value in weights.model_dump().items()]
    return "\n".join(lines) + "\n"
