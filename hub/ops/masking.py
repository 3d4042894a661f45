"""Masking of personal data in dead letters before anyone sees them (`hub dlq show`, the ops page).

A raw row holds resident ID numbers, phones, names and addresses. Without trusting the row to parse (it
is a dead letter: it may not), every run of six or more digits (ID numbers, phones, bank and licence
numbers) keeps only its last two characters, and every run of CJK characters (names, addresses) keeps
only its first. What is left shows the row's shape — columns, separators, dates' punctuation — which is
what an operator needs to see why it was refused.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d[\d\-\s]{4,}[\dXx]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")


def mask_text(text: str) -> str:
    """The text with ID-like digit runs and CJK runs masked (see the module docstring)."""
    text = _DIGITS.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)
    return _HAN.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), text)


def mask_digits(text: str) -> str:
    """Only the digit runs masked: for reasons, which name columns (CJK) but may quote a value."""
    return _DIGITS.sub(lambda m: "*" * (len(m.group()) - 2) + m.group()[-2:], text)


def mask_key(key: str | None) -> str | None:
    """A record key, shown as written: department keys are record numbers, but a key made of an ID is masked."""
    return None if key is None else mask_text(key)
