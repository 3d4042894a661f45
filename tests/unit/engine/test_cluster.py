"""Constrained clustering: order-free, and never joins two exclusive values."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.engine.blocking import id_repairs
from hub.engine.cluster import Edge, cluster_component
from hub.engine.identifiers import citizen_id

NODES = [f"r{i}" for i in range(8)]


def test_exclusive_values_never_share_a_cluster() -> None:
    edges = [Edge.make("a", "x", 20, ""), Edge.make("x", "b", 18, ""), Edge.make("b", "y", 15, "")]
    result = cluster_component(["a", "b", "x", "y"], edges, {"a": "ID1", "b": "ID2"})
    assert result.clusters == [["a", "x"], ["b", "y"]]
    assert [(e.a, e.b) for e in result.rejected] == [("b", "x")]


def test_strongest_edge_wins_the_shared_record() -> None:
    edges = [Edge.make("a", "x", 16, ""), Edge.make("x", "b", 25, "")]
    result = cluster_component(["a", "b", "x"], edges, {"a": "ID1", "b": "ID2"})
    assert result.clusters == [["a"], ["b", "x"]]


edge_lists = st.lists(
    st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), st.integers(1, 5)).filter(lambda t: t[0] != t[1]),
    max_size=20,
)
exclusives = st.dictionaries(st.sampled_from(NODES), st.sampled_from(["ID1", "ID2", "ID3"]), max_size=5)


@settings(max_examples=200, deadline=None)
@given(edge_lists, exclusives, st.randoms(use_true_random=False))
def test_clusters_do_not_depend_on_edge_or_node_order(
    raw: list[tuple[str, str, int]], exclusive: dict[str, str], rnd: random.Random
) -> None:
    edges = [Edge.make(a, b, float(s), "") for a, b, s in raw]
    first = cluster_component(NODES, edges, exclusive).clusters
    shuffled_edges = edges + edges[: len(edges) // 2]  # duplicates change nothing
    rnd.shuffle(shuffled_edges)
    nodes = list(NODES)
    rnd.shuffle(nodes)
    assert cluster_component(nodes, shuffled_edges, exclusive).clusters == first
    for members in first:
        assert len({exclusive[m] for m in members if m in exclusive}) <= 1


def test_id_repairs_find_the_intended_id() -> None:
    valid = "11010519491231002X"
    substituted = "11010519491231003X"
    transposed = "11010591491231002X"
    assert valid in id_repairs(substituted)
    assert valid in id_repairs(transposed)
    assert id_repairs("123") == []


def _checksum_ok(value: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return value[17] == "10X98765432"[sum(int(c) * w for c, w in zip(value[:17], weights, strict=True)) % 11]


def _repairs_by_trial(value: str) -> list[str]:
    """Every substitution of one of the 17 digits, or of the check character, and every adjacent swap."""
    found = {value[:17] + check for check in "0123456789X" if check != value[17]}
    found |= {value[:i] + d + value[i + 1 :] for i in range(17) for d in "0123456789" if d != value[i]}
    found |= {value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(16) if value[i] != value[i + 1]}
    return sorted(v for v in found if _checksum_ok(v))


@settings(max_examples=300)
@given(st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_id_repairs_are_exactly_the_valid_ids_one_typo_away(body: str, check: str) -> None:
    value = body + check
    if not _checksum_ok(value):
        assert id_repairs(value) == _repairs_by_trial(value)


def test_citizen_id_is_keyed_and_stable() -> None:
    a = citizen_id(b"k1", "11010519491231002X", "x/1")
    assert a == citizen_id(b"k1", "11010519491231002X", "y/2")
    assert a != citizen_id(b"k2", "11010519491231002X", "x/1")
    assert "11010519491231002X" not in a
    assert citizen_id(b"k1", None, "x/1").startswith("C-r")
