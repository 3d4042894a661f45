"""Text clean-up shared by every standardiser: width, whitespace and script.

Counter staff type on whatever keyboard is at hand, so the same value arrives in full-width or
half-width forms, with stray ASCII or ideographic spaces, and now and then in traditional
characters. These helpers fold all of that to one form; they are pure and allocation-light
because they run on every field of every record.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

from opencc import OpenCC

#: All Unicode whitespace (incl. U+3000) plus the zero-width characters that ride along in
#: copy-pasted text and are invisible at the counter.
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation → their ASCII forms (NFKC), skipping pure ASCII."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def settle(text: str) -> str:
    """NFKC again after characters were removed: a deleted space may have split a combination."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def strip_spaces(text: str) -> str:
    """Remove every whitespace character, wherever it is."""
    return _SPACE_RE.sub("", text)


def collapse_spaces(text: str) -> str:
    """Trim and collapse runs of whitespace to one ASCII space (for Latin-script values)."""
    return _SPACE_RE.sub(" ", text).strip()


@cache
def _converter() -> OpenCC:
    return OpenCC("t2s")


def _dictionary_lines(name: str) -> list[str]:
    path = resources.files("opencc").joinpath("dictionary", name)
    return path.read_text(encoding="utf-8").splitlines()


@cache
def _traditional_chars() -> frozenset[str]:
    """Characters whose presence means OpenCC t2s could change the text.

    OpenCC is pure Python and costs tens of microseconds per string; almost every value is
    already simplified, so a set-disjointness test decides whether it needs to run at all.
    """
    chars: set[str] = set()
    for line in _dictionary_lines("TSCharacters.txt"):
        key, _, values = line.partition("\t")
        if key and values.split(" ")[0] != key:
            chars.update(key)
    for line in _dictionary_lines("TSPhrases.txt"):
        key, _, values = line.partition("\t")
        value = values.split(" ")[0]
        if len(value) == len(key):
            chars.update(k for k, v in zip(key, value, strict=True) if k != v)
        else:
            chars.update(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s), a no-op for text that needs none."""
    if text.isascii() or _traditional_chars().isdisjoint(text):
        return text
    return str(_converter().convert(text))


def fold(text: str) -> str:
    """The common first step: NFKC, no whitespace, simplified script (idempotent)."""
    return to_simplified(settle(strip_spaces(nfkc(text))))
