"""Legal names: surnames by frequency, given names by birth decade, minority names with the middle dot,
and the near-identical names that make twins and namesakes hard to tell apart.

Every character here survives simplified→traditional→simplified with OpenCC unchanged, so a
correct hub can always recover the legal (simplified) name from a traditional spelling.
"""

from __future__ import annotations

import random

from citygen.gazetteer import words
from citygen.sampling import Weighted

_SURNAMES = words(
    "王7.1 李7.0 张6.7 刘5.4 陈4.5 杨3.1 黄2.6 赵2.3 吴2.0 周1.9 徐1.7 "
    "孙1.5 马1.4 朱1.3 胡1.3 郭1.2 何1.2 高1.1 林1.1 罗0.9 郑0.9 梁0.9 "
    "谢0.8 宋0.7 唐0.7 许0.7 韩0.6 冯0.6 邓0.6 曹0.6 彭0.6 曾0.6 肖0.5 "
    "田0.5 董0.5 袁0.5 潘0.5 于0.5 蒋0.5 蔡0.5 余0.5 杜0.4 叶0.4 程0.4 "
    "苏0.4 魏0.4 吕0.4 丁0.4 任0.4 沈0.5 姚0.3 卢0.3 姜0.3 崔0.3 钟0.3 "
    "谭0.3 陆0.4 汪0.4 范0.3 金0.3 石0.3 廖0.3 贾0.3 夏0.3 韦0.2 付0.3 "
    "方0.3 白0.3 邹0.3 孟0.3 熊0.2 秦0.2 邱0.2 江0.2 尹0.2 薛0.2 闫0.2 "
    "段0.2 雷0.2 侯0.2 龙0.2 史0.2 陶0.2 黎0.2 贺0.2 顾0.2 毛0.2 郝0.2 "
    "龚0.2 邵0.2 万0.2 钱0.3 严0.2 武0.1 戴0.1 莫0.1 孔0.1 向0.1 汤0.1 "
    "俞0.2 楼0.1 应0.1 章0.2 傅0.1 屠0.05 欧阳0.04 司马0.01 诸葛0.01 "
    "上官0.01"
)
SURNAMES: tuple[str, ...] = tuple(s.rstrip("0123456789.") for s in _SURNAMES)
_SURNAME_PICK = Weighted(SURNAMES, [float(s[len(n):]) for s, n in zip(_SURNAMES, SURNAMES, strict=True)])

#: (first birth year, male single chars, male two-char names, female single chars, female two-char names,
#:  share of single-character given names)
_ERAS: tuple[tuple[int, str, str, str, str, float], ...] = (
    (1900, "华 明 强 军 德 福 兴 荣 忠 平 志 文 海 林 成 永 春 根 宝 金 水 生",
     "建国 建华 国强 国庆 建军 志强 德明 永福 卫东 向东 红兵 根宝 金发 海林 春生 国华 建平 志明 福根 阿大",
     "英 兰 珍 芳 凤 秀 华 梅 娥 琴 花 妹",
     "秀英 桂英 玉兰 秀兰 淑珍 凤英 秀珍 桂兰 玉珍 美华 月英 翠花 素芬 丽华 红梅 金花 彩凤 爱华 美玲 阿英",
     0.30),
    (1966, "伟 磊 强 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宁 健 亮 峰 俊 浩",
     "建伟 海涛 志刚 晓东 晓明 文斌 小龙 建华 立新 永强 国栋 卫国 俊杰 晓峰 海峰 志勇 红军 建明 旭东 伟民",
     "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 红 萍 琳 慧 莉 颖 洁 晶 丹",
     "丽娟 晓燕 海燕 秀梅 丽萍 晓红 春燕 雪梅 晓丽 丽丽 婷婷 晓静 美玲 小红 艳红 丽华 慧敏 晓霞 玉婷 佳丽",
     0.45),
    (1990, "浩 宇 鑫 杰 涛 磊 帅 凯 晨 阳 超 鹏",
     "浩然 子豪 宇航 俊杰 子轩 宇轩 浩宇 思远 天宇 嘉豪 博文 志豪 家豪 一鸣 明轩 子健 泽宇 梓豪 皓轩 逸飞",
     "婷 雪 倩 琪 欣 悦 璐 瑶 洁 颖",
     "欣怡 雨涵 梦瑶 佳怡 诗涵 思琪 婉婷 雅婷 紫涵 梓涵 晓雪 梦婷 子涵 可欣 雨欣 心怡 佳琪 思雨 雅琪 静怡",
     0.15),
    (2010, "睿 宸 轩 泽 航 阳",
     "一诺 梓睿 浩宇 宇泽 沐宸 子墨 睿泽 奕辰 宇轩 梓豪 俊熙 梓轩 铭泽 承泽 锦程 浩然 子骞 皓宇 明哲 思成",
     "瑶 萱 琪 悦 涵",
     "一诺 欣怡 梓涵 诗涵 雨桐 可馨 紫萱 思涵 梓萱 语桐 若汐 芊芊 沐瑶 依诺 安琪 雨萱 梦琪 诗雨 子涵 语嫣",
     0.08),
)

#: Characters read the same (near-)identically: twins' names, and hand-typing homophone slips.
HOMOPHONES: tuple[str, ...] = (
    "伟玮炜", "婷亭庭", "静晶菁", "丽莉俐", "明铭鸣", "杰洁捷", "涛韬滔", "华桦骅", "峰锋枫", "琳林霖",
    "浩皓昊", "宇雨语羽", "欣馨昕心", "涵晗含", "轩萱宣", "怡仪宜艺", "辰晨宸", "泽则", "豪浩", "睿瑞锐",
    "嘉佳家", "诗思斯", "子梓紫", "一依奕", "军君钧", "强蔷", "刚钢纲", "勇永咏", "敏民闽", "燕艳雁",
)
_HOMOPHONE_OF: dict[str, str] = {c: group for group in HOMOPHONES for c in group}

_UYGHUR_MALE = words(
    "买买提 艾力 阿卜杜 吐尔逊 艾尔肯 努尔 阿布都 热合曼 艾合买提 亚森 麦麦提敏 阿里木 库尔班 司马义"
)
_UYGHUR_FEMALE = words("古丽 热依拉 阿依古丽 迪丽努尔 帕提古丽 米热古丽 努尔尼沙 阿依努尔 祖丽菲亚 热孜万古丽")
_TIBETAN_MALE = words("扎西次仁 旦增多吉 多吉 尼玛次仁 平措 格桑 次仁多吉")
_TIBETAN_FEMALE = words("次仁卓玛 格桑拉姆 央金 拉姆 索朗旺姆 卓玛 德吉")
_FOREIGN = words(
    "约翰·史密斯 大卫·米勒 玛丽亚·加西亚 安娜·伊万诺娃 彼得·施密特 索菲亚·罗西 迈克尔·布朗 "
    "艾玛·威尔逊 卢卡斯·马丁 奥利维亚·泰勒 金敏俊 朴志勋 李秀贤 田中太郎 铃木花子"
)
_HK_TW_GIVEN_MALE = ["家豪", "志伟", "国荣", "嘉伟", "俊杰", "志明", "建宏", "家明", "伟强", "冠宇"]
_HK_TW_GIVEN_FEMALE = ["嘉欣", "美玲", "淑芬", "雅婷", "慧敏", "怡君", "佩玲", "诗婷", "家慧", "美华"]

ETHNICITIES: tuple[tuple[str, float], ...] = (
    ("汉族", 97.0), ("回族", 0.6), ("满族", 0.5), ("畲族", 0.4), ("土家族", 0.4), ("苗族", 0.4),
    ("壮族", 0.4), ("蒙古族", 0.2), ("布依族", 0.1),
)


def surname(rng: random.Random) -> str:
    return _SURNAME_PICK.pick(rng)


def _era(year: int) -> tuple[int, str, str, str, str, float]:
    chosen = _ERAS[0]
    for era in _ERAS:
        if year >= era[0]:
            chosen = era
    return chosen


def given_name(rng: random.Random, gender: str, birth_year: int) -> str:
    """A given name typical of the birth decade; one character or two."""
    _, m1, m2, f1, f2, single = _era(birth_year)
    ones, twos = (m1, m2) if gender == "male" else (f1, f2)
    if rng.random() < single:
        return rng.choice(ones.split())
    if rng.random() < 0.7:
        return rng.choice(twos.split())
    return rng.choice(ones.split()) + rng.choice(ones.split())


def twin_given_name(rng: random.Random, sibling: str, gender: str, birth_year: int) -> str:
    """A twin's given name: a homophone of the sibling's, or the same first character, never identical."""
    for _ in range(10):
        last = sibling[-1]
        group = _HOMOPHONE_OF.get(last)
        if group and len(group) > 1 and rng.random() < 0.5:
            name = sibling[:-1] + rng.choice([c for c in group if c != last])
        elif len(sibling) == 2:
            name = sibling[0] + rng.choice(given_name(rng, gender, birth_year))
        else:
            name = given_name(rng, gender, birth_year)
        if name != sibling:
            return name
    return sibling + "二" if len(sibling) == 1 else sibling[0] + "二"


def homophone_slip(rng: random.Random, name: str) -> str | None:
    """The name with one character swapped for a homophone (a counter clerk's slip), or None if none fits."""
    positions = [i for i, c in enumerate(name) if i > 0 and c in _HOMOPHONE_OF]
    if not positions:
        return None
    i = rng.choice(positions)
    options = [c for c in _HOMOPHONE_OF[name[i]] if c != name[i]]
    return name[:i] + rng.choice(options) + name[i + 1 :]


def dot_name(rng: random.Random, gender: str, father: str | None = None) -> str:
    """A Uyghur name: own given name · father's name."""
    own = rng.choice(_UYGHUR_MALE if gender == "male" else _UYGHUR_FEMALE)
    father = father or rng.choice(_UYGHUR_MALE)
    return f"{own}·{father}"


def tibetan_name(rng: random.Random, gender: str) -> str:
    return rng.choice(_TIBETAN_MALE if gender == "male" else _TIBETAN_FEMALE)


def foreign_name(rng: random.Random) -> str:
    return rng.choice(_FOREIGN)


def hk_tw_name(rng: random.Random, gender: str) -> str:
    return surname(rng) + rng.choice(_HK_TW_GIVEN_MALE if gender == "male" else _HK_TW_GIVEN_FEMALE)


_ETHNICITY_PICK = Weighted([e for e, _ in ETHNICITIES], [w for _, w in ETHNICITIES])


def ethnicity(rng: random.Random) -> str:
    return _ETHNICITY_PICK.pick(rng)


def all_characters() -> set[str]:
    """Every character a generated name can contain (for the round-trip test)."""
    chars: set[str] = set("".join(SURNAMES))
    for era in _ERAS:
        for pool in era[1:5]:
            chars |= set(str(pool).replace(" ", ""))
    for group in (HOMOPHONES, _UYGHUR_MALE, _UYGHUR_FEMALE, _TIBETAN_MALE, _TIBETAN_FEMALE, _FOREIGN, _HK_TW_GIVEN_MALE,
                  _HK_TW_GIVEN_FEMALE):
        chars |= set("".join(group))
    chars.discard("·")
    return chars
