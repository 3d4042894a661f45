"""Chinese numerals → Arabic digits, for house, building, unit and room numbers.

Two spellings occur: positional (十二 = 12, 一百零五 = 105) and digit-by-digit (三〇二 = 302,
一五〇二 = 1502, as room numbers are read out). A run without 十/百/千 is read digit by digit.
"""

from __future__ import annotations

from typing import Final

_DIGITS: Final = {
    "〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_UNITS: Final = {"十": 10, "百": 100, "千": 1000}

#: Characters a numeral run may consist of (for building regexes).
NUMERAL_CHARS: Final = "".join(_DIGITS) + "".join(_UNITS)


def chinese_to_int(text: str) -> int | None:
    """Value of a numeral run, or None when it contains anything else."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, pending, last_unit = 0, 0, 0
    for ch in text:
        unit = _UNITS.get(ch)
        if unit is None:
            pending = _DIGITS[ch]
        else:
            total += (pending or 1) * unit
            pending, last_unit = 0, unit
    if pending:
        # 一百一 (colloquial 110): a lone digit right after 百/千 scales to the next place down.
        scale = last_unit // 10 if last_unit >= 100 and text[-2] in _UNITS else 1
        total += pending * scale
    return total


def chinese_to_digits(text: str) -> str:
    """Digit string of a numeral run; the run itself when it cannot be read."""
    value = chinese_to_int(text)
    if value is None:
        return text
    if not any(ch in _UNITS for ch in text):
        return "".join(str(_DIGITS[ch]) for ch in text)  # keep leading zeros of 〇一
    return str(value)
