"""Person names: spaces, width, script, minority-name dots, compound surnames, pinyin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.engine.standardise.names import normalise_name


@pytest.mark.parametrize(
    ("raw", "display", "key", "pinyin", "surname", "given_name"),
    [
        ("陈晓明", "陈晓明", "陈晓明", "chenxiaoming", "陈", "晓明"),
        ("陈 晓明", "陈晓明", "陈晓明", "chenxiaoming", "陈", "晓明"),
        (" 陈  晓 明 ", "陈晓明", "陈晓明", "chenxiaoming", "陈", "晓明"),
        ("陈\u3000晓明", "陈晓明", "陈晓明", "chenxiaoming", "陈", "晓明"),
        ("陳曉明", "陈晓明", "陈晓明", "chenxiaoming", "陈", "晓明"),
        ("張偉", "张伟", "张伟", "zhangwei", "张", "伟"),
        ("劉\u3000德華", "刘德华", "刘德华", "liudehua", "刘", "德华"),
        ("李四", "李四", "李四", "lisi", "李", "四"),
        ("王\u200b芳", "王芳", "王芳", "wangfang", "王", "芳"),
        ("阿卜杜·热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜•热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜.热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜．热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜・热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜‧热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜･热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜 · 热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("阿卜杜··热合曼", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        ("·阿卜杜·热合曼·", "阿卜杜·热合曼", "阿卜杜热合曼", "abodureheman", "阿卜杜", "热合曼"),
        (
            "买买提·艾力·吐尔逊",
            "买买提·艾力·吐尔逊",
            "买买提艾力吐尔逊",
            "maimaitiailituerxun",
            "买买提",
            "艾力·吐尔逊",
        ),
        ("欧阳锋", "欧阳锋", "欧阳锋", "ouyangfeng", "欧阳", "锋"),
        ("司马 光", "司马光", "司马光", "simaguang", "司马", "光"),
        ("诸葛亮", "诸葛亮", "诸葛亮", "zhugeliang", "诸葛", "亮"),
        ("上官婉儿", "上官婉儿", "上官婉儿", "shangguanwaner", "上官", "婉儿"),
        ("尉迟恭", "尉迟恭", "尉迟恭", "yuchigong", "尉迟", "恭"),
        ("长孙无忌", "长孙无忌", "长孙无忌", "zhangsunwuji", "长孙", "无忌"),
        ("令狐冲", "令狐冲", "令狐冲", "linghuchong", "令狐", "冲"),
        ("欧阳", "欧阳", "欧阳", "ouyang", "欧", "阳"),  # two characters: single surname
        ("曾国藩", "曾国藩", "曾国藩", "zengguofan", "曾", "国藩"),
        ("单雄信", "单雄信", "单雄信", "shanxiongxin", "单", "雄信"),
        ("区志明", "区志明", "区志明", "ouzhiming", "区", "志明"),
        ("仇英", "仇英", "仇英", "qiuying", "仇", "英"),
        ("解缙", "解缙", "解缙", "xiejin", "解", "缙"),
        ("朴树", "朴树", "朴树", "piaoshu", "朴", "树"),
        ("查良镛", "查良镛", "查良镛", "zhaliangyong", "查", "良镛"),
        ("吕布", "吕布", "吕布", "lvbu", "吕", "布"),
        ("Ｊｏｈｎ\u3000Ｓｍｉｔｈ", "John Smith", "JOHNSMITH", "johnsmith", "John", "Smith"),
        ("smith  john", "smith john", "SMITHJOHN", "smithjohn", "smith", "john"),
        (" 王 ", "王", "王", "wang", "王", ""),
    ],
)
def test_normalise_name(raw: str, display: str, key: str, pinyin: str, surname: str, given_name: str) -> None:
    name = normalise_name(raw)
    assert name is not None
    assert (name.display, name.key, name.pinyin, name.surname, name.given) == (
        display,
        key,
        pinyin,
        surname,
        given_name,
    )


@pytest.mark.parametrize("raw", [None, "", " ", "\u3000", "··", " • "])
def test_empty_names_are_none(raw: str | None) -> None:
    assert normalise_name(raw) is None


def test_variants_share_key_and_pinyin() -> None:
    variants = ["陈晓明", "陳曉明", "陈 晓 明", "陈\u3000晓明"]
    names = [normalise_name(v) for v in variants]
    assert len({(n.key, n.pinyin) for n in names if n}) == 1


def test_homophones_share_pinyin_not_key() -> None:
    a, b = normalise_name("陈晓明"), normalise_name("陈小明")
    assert a is not None and b is not None
    assert a.pinyin == b.pinyin and a.key != b.key


@given(st.text())
def test_never_raises(text: str) -> None:
    normalise_name(text)


@given(st.text())
def test_idempotent(text: str) -> None:
    name = normalise_name(text)
    if name is not None:
        assert normalise_name(name.display) == name
