"""Birth-date plausibility and near-agreement."""

from __future__ import annotations

from datetime import date

import pytest

from hub.engine.standardise.dates import birth_date_similarity, is_plausible_birth_date


@pytest.mark.parametrize(
    ("value", "today", "expected"),
    [
        (date(1985, 3, 12), None, True),
        (date(1985, 3, 12), date(2024, 1, 1), True),
        (date(2030, 1, 1), date(2024, 1, 1), False),
        (date(1879, 12, 31), None, False),
        (date(1880, 1, 1), None, True),
        (None, None, False),
    ],
)
def test_plausible(value: date | None, today: date | None, expected: bool) -> None:
    assert is_plausible_birth_date(value, today) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(1985, 3, 12), date(1985, 3, 12), 1.0),
        (date(1985, 3, 12), date(1985, 12, 3), 0.8),  # day and month swapped
        (date(1985, 3, 12), date(1985, 3, 13), 0.8),  # one digit
        (date(1985, 3, 12), date(1958, 3, 12), 0.8),  # adjacent digits transposed
        (date(1985, 3, 12), date(1985, 3, 28), 0.5),
        (date(1985, 3, 12), date(1990, 7, 1), 0.0),
        (None, date(1990, 7, 1), 0.0),
    ],
)
def test_similarity(a: date | None, b: date | None, expected: float) -> None:
    assert birth_date_similarity(a, b) == expected
    assert birth_date_similarity(b, a) == expected
