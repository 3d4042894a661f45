"""Date helpers for matching: the connectors already parse dates, this only judges them.

A birth date typed at a counter is wrong in characteristic ways (a digit slipped, day and month
swapped); the matcher should treat those as near-agreement rather than as two people.
"""

from __future__ import annotations

from datetime import date

#: Earliest birth year taken at face value (older values are typing errors).
MIN_BIRTH_YEAR = 1880


def is_plausible_birth_date(value: date | None, today: date | None = None) -> bool:
    """A real person's birth date: not before 1880 and, when ``today`` is given, not after it."""
    if value is None or value.year < MIN_BIRTH_YEAR:
        return False
    return today is None or value <= today


def birth_date_similarity(a: date | None, b: date | None) -> float:
    """1.0 equal; 0.8 one digit typo or day/month swapped; 0.5 same year and month; else 0.0."""
    if a is None or b is None:
        return 0.0
    if a == b:
        return 1.0
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 0.8
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    differing = [i for i in range(8) if sa[i] != sb[i]]
    if len(differing) == 1:
        return 0.8
    if len(differing) == 2 and differing[1] == differing[0] + 1:
        i = differing[0]
        if sa[i] == sb[i + 1] and sa[i + 1] == sb[i]:
            return 0.8  # adjacent digits transposed
    if a.year == b.year and a.month == b.month:
        return 0.5
    return 0.0
