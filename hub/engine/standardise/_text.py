"""Text clean-up shared by every standardiser: width, whitespace and script.

Counter staff type on whatever keyboard is at hand, so the same value arrives in full-width or
half-width forms, with stray ASCII or ideographic spaces, and now and then in traditional
characters. These helpers fold all of that to one form; they are pure and allocation-light
because they run on every field of every record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Final

from opencc import OpenCC

#: All Unicode whitespace (incl. U+3000) plus the zero-width characters that ride along in
#: copy-pasted text and are invisible at the counter.
_SPACE_RE: Final = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


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
def _tables() -> tuple[frozenset[str], dict[str, tuple[str, ...]], dict[int, str]]:
    """(trigger characters, phrases by first character, one-to-one character table) of OpenCC t2s.

    OpenCC is pure Python and costs tens of microseconds per string. Almost every value is
    already simplified (a set-disjointness test skips it), and text that contains none of t2s's
    multi-character phrases converts character by character exactly as OpenCC does (first
    candidate), which ``str.translate`` does in well under a microsecond.
    """
    table: dict[int, str] = {}
    for line in _dictionary_lines("TSCharacters.txt"):
        key, _, values = line.partition("\t")
        first = values.split(" ")[0]
        if len(key) == 1 and first and first != key:
            table[ord(key)] = first
    triggers = {chr(code) for code in table}
    phrases: dict[str, list[str]] = {}
    for line in _dictionary_lines("TSPhrases.txt"):
        key, _, values = line.partition("\t")
        value = values.split(" ")[0]
        if not key:
            continue
        phrases.setdefault(key[0], []).append(key)  # also 乾坤 → 乾坤: it protects 乾 from 干
        if len(value) == len(key):
            triggers.update(k for k, v in zip(key, value, strict=True) if k != v)
        else:
            triggers.update(key)
    by_first = {first: tuple(keys) for first, keys in phrases.items()}
    return frozenset(triggers), by_first, table


def _has_phrase(text: str, phrases: dict[str, tuple[str, ...]]) -> bool:
    for i, ch in enumerate(text):
        keys = phrases.get(ch)
        if keys and any(text.startswith(key, i) for key in keys):
            return True
    return False


@cache
def settled_ideographs() -> frozenset[str]:
    """The CJK unified ideographs (U+4E00-U+9FFF) that ``fold`` keeps as they are, wherever they stand.

    NFKC-stable, caseless, no space, and no trigger of the t2s conversion: a text of these alone
    (with ASCII digits and capitals) needs no folding, which a regex class tests much faster.
    """
    triggers = _tables()[0]
    return frozenset(
        ch
        for ch in map(chr, range(0x4E00, 0xA000))
        if ch not in triggers and unicodedata.normalize("NFKC", ch) == ch and ch.upper() == ch and not ch.isspace()
    )


def char_class(chars: Iterable[str]) -> str:
    """Body of a regex character class of ``chars``, as ranges of consecutive code points."""
    codes = sorted(set(map(ord, chars)))
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(re.escape(chr(lo)) + ("-" + re.escape(chr(hi)) if hi > lo else "") for lo, hi in ranges)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s), a no-op for text that needs none."""
    if text.isascii():
        return text
    triggers, phrases, table = _tables()
    if triggers.isdisjoint(text):
        return text
    if not _has_phrase(text, phrases):
        return text.translate(table)
    return str(_converter().convert(text))


def fold(text: str) -> str:
    """The common first step: NFKC, no whitespace, simplified script (idempotent)."""
    return to_simplified(settle(strip_spaces(nfkc(text))))


#: Texts kept once (`shared`), at most this many: past it the table starts afresh, which only loses
#: sharing for what was kept before (a city names a few thousand roads and estates, but its
#: hundreds of thousands of names and addresses would otherwise stay here after the engine let go).
SHARED_LIMIT: Final = 1 << 21

#: Final: the compiled engine reads it as a C static, not through the module's dict on every call.
_shared_texts: Final[dict[str, str]] = {}


def shared(text: str) -> str:
    """One string object per distinct text: equal texts cut from different rows are distinct objects,
    and the engine keeps a row's texts for as long as its state lives.

    A plain dict rather than `sys.intern`: the compiled engine probes it natively, where a call to
    `sys.intern` is a Python-level call through the module's attributes (with it, feeding 20,000
    persons took 9 % longer than the build before; with this table 2-3 %, within the noise). One probe
    (`setdefault`) whether the text is new or known; a new one past the limit starts the table afresh."""
    found = _shared_texts.setdefault(text, text)
    if found is text and len(_shared_texts) > SHARED_LIMIT:  # new, and one too many: keep only it
        _shared_texts.clear()
        _shared_texts[text] = text
    return found
