"""Organizations: unified social credit codes (GB 32100-2015) and names.

The credit code is the organization's key; the name is the fallback when a code is missing or
mistyped. Names vary in bracket width, spaces, script and legal-form wording (有限公司 vs
有限责任公司), so matching uses ``org_name_key`` while records show ``normalise_org_name``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.cn import uscc

from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import fold
from hub.engine.standardise.divisions import Level, divisions

_CODE_NOISE_RE = re.compile(r"[\s\u200b\ufeff\-_.·/]+")
_OPEN_RE = re.compile(r"[(\[{【〔［｛〈《]")
_CLOSE_RE = re.compile(r"[)\]}】〕］｝〉》]")
_BRACKETS_RE = re.compile(r"[()（）]")
_PUNCT_RE = re.compile(r"[\"'“”‘’`·•.,，、:：;；!！?？&＆+＋*\-—_~]")
#: Legal-form endings, longest first; stripped (repeatedly) for the matching key only.
_LEGAL_FORMS = (
    "股份有限公司|有限责任公司|有限公司|股份公司|总公司|(?<!分)公司|特殊普通合伙|普通合伙|有限合伙|"
    "合伙企业|个人独资企业|个体工商户|农民专业合作社|专业合作社|合作社"
)
_LEGAL_FORM_RE = re.compile(f"(?:{_LEGAL_FORMS})$")


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A cleaned unified social credit code."""

    value: str
    valid: bool  # 18 chars, allowed alphabet, GB 32100-2015 check character
    region: str | None  # GB/T 2260 code of the registering authority (chars 3-8)


@lru_cache(maxsize=CACHE_SIZE)
def normalise_credit_code(raw: str | None) -> CreditCode | None:
    """Clean a credit code (noise out, half-width, upper-case) and check it; None when empty."""
    if raw is None:
        return None
    value = _CODE_NOISE_RE.sub("", fold(raw)).upper()
    return _credit_code(value) if value else None


@lru_cache(maxsize=CACHE_SIZE)
def _credit_code(value: str) -> CreditCode:
    """Check a cleaned code once: its spellings share stdnum's validation (~18 µs) and the result."""
    region = value[2:8] if len(value) == 18 and value[2:8].isdigit() else None
    return CreditCode(value, uscc.is_valid(value), region)  # positional: the generated __init__ is interpreted


@lru_cache(maxsize=CACHE_SIZE)
def normalise_org_name(raw: str | None) -> str | None:
    """Display form: simplified, no spaces, brackets unified to full-width （）."""
    if raw is None:
        return None
    text = fold(raw)
    text = _OPEN_RE.sub("（", text)
    text = _CLOSE_RE.sub("）", text)
    while "（）" in text:
        text = text.replace("（）", "")
    return text or None


def _shorten_regions(key: str) -> str:
    """杭州市X / 浙江省杭州市X → 杭州X / 浙江杭州X: the suffix is optional in registered names."""
    table = divisions()
    pos, out = 0, []
    levels: tuple[Level, ...] = ("province", "city")
    for level in levels:
        hit = table.match(key, pos, level)
        if hit is None:
            continue
        text, _ = hit
        short = text[:-1] if text[-1] in "省市" and len(text) >= 3 else text
        out.append(short)
        pos += len(text)
    return "".join(out) + key[pos:] if pos < len(key) else key


@lru_cache(maxsize=CACHE_SIZE)
def org_name_key(name: str | None) -> str | None:
    """Matching key: display form without brackets, punctuation, region suffix or legal form."""
    display = normalise_org_name(name)
    if display is None:
        return None
    key = _PUNCT_RE.sub("", _BRACKETS_RE.sub("", display))
    key = _shorten_regions(key)
    while True:
        stripped = _LEGAL_FORM_RE.sub("", key)
        if stripped == key or not stripped:
            break
        key = stripped
    return key or display
