"""Person names: one display form, one exact-match key, a toneless pinyin key, surname/given.

Names arrive with stray spaces (also U+3000), full-width letters, traditional characters and
half a dozen look-alike middle dots in minority names (阿卜杜·热合曼). Names repeat across
departments and households, so the function is cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pypinyin import lazy_pinyin

from hub.engine.standardise import CACHE_SIZE
from hub.engine.standardise._text import (
    char_class,
    collapse_spaces,
    nfkc,
    settle,
    settled_ideographs,
    strip_spaces,
    to_simplified,
)

MIDDLE_DOT = "·"
#: Look-alikes of the interpunct used between parts of transliterated names (after NFKC).
_DOTS_RE = re.compile(r"[.·•・‧∙⋅˙●◦‧･・\u0387\u16eb\u2e31\u2e33\u2027\ufe52]+")
_LATIN_RE = re.compile(r"[A-Za-z]")
_NON_PINYIN_RE = re.compile(r"[^a-z0-9]")
_DOT_RUN_RE = re.compile(r"·+")

#: Two-character surnames (复姓); a name starting with one and longer than 2 chars uses it.
_COMPOUND_TEXT = """
欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 南宫 西门
万俟 闻人 澹台 公冶 宗政 濮阳 淳于 单于 太叔 申屠 仲孙 呼延 赫连 拓跋 百里 东郭 南门 羊舌 微生 梁丘
左丘 东门 第五 公羊 谷梁 司空 司寇 亓官 鲜于 闾丘 子车 颛孙 壤驷 公良 漆雕 乐正 宰父 巫马 公西 段干 夹谷
"""
COMPOUND_SURNAMES = frozenset(_COMPOUND_TEXT.split())

#: Surnames read differently from the character's common reading (pypinyin has no surname mode).
SURNAME_PINYIN = {
    "曾": "zeng", "单": "shan", "区": "ou", "仇": "qiu", "查": "zha", "解": "xie", "朴": "piao",
    "乐": "yue", "盖": "ge", "缪": "miao", "翟": "zhai", "覃": "qin", "秘": "bi", "种": "chong",
    "繁": "po", "员": "yun", "召": "shao", "尉": "yu", "长": "chang", "重": "chong", "万": "wan",
    "柏": "bai", "冼": "xian", "洗": "xian", "那": "na", "隗": "wei", "能": "nai", "句": "gou",
    "阚": "kan", "任": "ren", "华": "hua", "纪": "ji", "宁": "ning", "过": "guo", "沈": "shen",
    "贾": "jia", "薄": "bo", "葛": "ge", "广": "guang", "相": "xiang", "折": "she", "都": "du",
    "逄": "pang", "蕃": "pi", "奇": "ji", "殷": "yin", "燕": "yan", "乜": "nie", "黑": "he",
    "粘": "nian", "降": "jiang", "澄": "cheng", "於": "yu", "阿": "a", "藏": "zang",
    "尉迟": "yuchi", "万俟": "moqi", "单于": "chanyu", "长孙": "zhangsun", "令狐": "linghu",
    "澹台": "tantai", "乐正": "yuezheng", "亓官": "qiguan", "呼延": "huyan",
}  # fmt: skip


@dataclass(frozen=True, slots=True, init=False)
class PersonName:
    """A standardised name (simplified script, unified dots)."""

    display: str  # what a master record shows: 阿卜杜·热合曼, 陈晓明
    key: str  # display without dots or spaces, for exact matching
    pinyin: str  # toneless, no separators, surname read as a surname
    surname: str  # compound surnames kept whole; minority names: part before the first dot
    given: str

    def __init__(self, display: str, key: str, pinyin: str, surname: str, given: str) -> None:
        """Written out: the dataclass-made __init__ stays interpreted under mypyc; these object.__setattr__ calls of a
        frozen class compile to slot writes (as `ParsedAddress`)."""
        object.__setattr__(self, "display", display)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "pinyin", pinyin)
        object.__setattr__(self, "surname", surname)
        object.__setattr__(self, "given", given)


@lru_cache(maxsize=CACHE_SIZE)
def _pinyin(text: str) -> str:
    """pypinyin costs ~10 µs; given names and surnames repeat far more than full names."""
    return _NON_PINYIN_RE.sub("", "".join(lazy_pinyin(text)).lower())


def _split(display: str, key: str) -> tuple[str, str]:
    if MIDDLE_DOT in display:
        first, _, rest = display.partition(MIDDLE_DOT)
        return first, rest
    if " " in display:  # Latin-script names as written in passports: surname first
        first, _, rest = display.partition(" ")
        return first, rest.replace(" ", "")
    if _LATIN_RE.search(key):
        return "", key
    if len(key) > 2 and key[:2] in COMPOUND_SURNAMES:
        return key[:2], key[2:]
    return key[:1], key[1:]


@cache
def _settled_re() -> re.Pattern[str]:
    """Names of ideographs alone that no clean-up step changes (``settled_ideographs``): most names,
    already their own display form."""
    return re.compile(f"[{char_class(settled_ideographs())}]+")


def _display(raw: str) -> str:
    """Simplified script, unified dots; spaces out (Chinese) or collapsed (Latin-script names)."""
    text = to_simplified(nfkc(raw))
    text = _DOTS_RE.sub(MIDDLE_DOT, text)
    if _LATIN_RE.search(text) and not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        display = settle(collapse_spaces(text))  # as written, one space between Latin-script words
    else:
        display = strip_spaces(text)
    return settle(_DOT_RUN_RE.sub(MIDDLE_DOT, display).strip(MIDDLE_DOT + " "))


@lru_cache(maxsize=CACHE_SIZE)
def normalise_name(raw: str | None) -> PersonName | None:
    """Standardise a person's name; None when nothing readable is left."""
    return None if raw is None else read_name(raw)


def read_name(raw: str) -> PersonName | None:
    """`normalise_name` without its cache, for callers that keep their own (`MentionReader`)."""
    display = raw if _settled_re().fullmatch(raw) else _display(raw)
    if not display:
        return None
    key = display.replace(MIDDLE_DOT, "").replace(" ", "").upper()  # case never tells two people apart
    surname, given = _split(display, key)
    if MIDDLE_DOT in display or not surname:
        pinyin = _pinyin(key)
    else:
        pinyin = SURNAME_PINYIN.get(surname) or _pinyin(surname)
        pinyin += _pinyin(given)
    return PersonName(display, key, pinyin, surname, given)
