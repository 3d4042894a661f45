"""EM recovers the direction and rough size of match weights from unlabelled comparison vectors."""

from __future__ import annotations

import random

from hub.engine.policy import default_policy
from hub.engine.weights import estimate


def test_em_separates_agreeing_from_disagreeing_levels() -> None:
    rnd = random.Random(7)
    vectors = []
    for _ in range(4000):
        match = rnd.random() < 0.25
        if match:
            name = "name_exact" if rnd.random() < 0.95 else "name_close"
            birth = "birth_exact" if rnd.random() < 0.97 else "birth_close"
            phone = "phone_mobile_equal" if rnd.random() < 0.7 else "phone_different"
        else:
            name = "name_exact" if rnd.random() < 0.3 else "name_different"
            birth = "birth_exact" if rnd.random() < 0.05 else "birth_different"
            phone = "phone_mobile_equal" if rnd.random() < 0.01 else "phone_different"
        vectors.append((name, birth, phone))
    weights, share = estimate(vectors, default_policy().match.weights)
    assert 0.15 < share < 0.35
    assert weights.birth_exact > 3 and weights.birth_different < -3
    assert weights.phone_mobile_equal > 3 and weights.phone_different < 0
    assert weights.name_exact > 0 > weights.name_different
