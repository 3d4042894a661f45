"""The engine's promise: results depend on the set of latest record versions, not on order, duplicates,
batching or driver (batch `resolve` vs streaming `apply`)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.engine.resolver import Resolver
from tests.fixtures.engine import city_records

SECRET = b"test-key"


def batch_result(records: list) -> tuple[dict, dict]:
    resolver = Resolver("330100", SECRET)
    resolver.add_all(records)
    resolution = resolver.resolve()
    masters = {cid: m.contract_row() for cid, m in resolution.masters.items()}
    return masters, dict(resolution.citizen_of_ref)


def test_hard_cases_resolve_as_expected() -> None:
    masters, of_ref = batch_result(city_records())
    chen = of_ref["civil_affairs/MZ1"]
    assert chen == of_ref["health/WJ1"] == of_ref["tax/TX1"] == of_ref["commerce/91330106MA2CFXXX0X"]
    assert of_ref["civil_affairs/MZ2"] == of_ref["health/WJ2"]
    assert of_ref["civil_affairs/MZ2"] != of_ref["civil_affairs/MZ3"], "twins must never merge"
    assert of_ref["civil_affairs/MZ4"] != of_ref["civil_affairs/MZ5"], "namesakes must never merge"
    assert of_ref["civil_affairs/MZ8"] != of_ref["civil_affairs/MZ9"], "twins without IDs must never merge"
    assert of_ref["health/WJ6"] == of_ref["tax/TX6"], "same passport links"
    assert of_ref["civil_affairs/MZ7"] == of_ref["hrss/RS7"], "legacy 15-digit ID upgrades to the 18-digit one"
    master = masters[chen]
    assert master["name"] == "陈晓明" and master["id_number"] == "330106198503121234"
    assert master["phone"] == "13912345699", "the most recent phone from any source wins"
    assert masters[of_ref["civil_affairs/MZ7"]]["name"] == "阿卜杜·热合曼"
    assert masters[of_ref["civil_affairs/MZ7"]]["death_date"] == "2024-01-02"


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_order_duplicates_and_batching_do_not_matter(rnd: random.Random, batches: int) -> None:
    records = city_records()
    expected = batch_result(records)
    shuffled = records + rnd.sample(records, k=len(records) // 3)  # duplicates and replays
    rnd.shuffle(shuffled)
    assert batch_result(shuffled) == expected

    streaming = Resolver("330100", SECRET)
    cuts = sorted(rnd.sample(range(1, len(shuffled)), k=min(batches, len(shuffled) - 1)))
    for lo, hi in zip([0, *cuts], [*cuts, len(shuffled)], strict=True):
        streaming.apply(shuffled[lo:hi])
    current = streaming.current
    masters = {cid: m.contract_row() for cid, m in current.masters.items()}
    assert (masters, dict(current.citizen_of_ref)) == expected
