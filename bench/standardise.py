"""Throughput of the standardisation functions on realistic inputs (figures only).

Run: .venv/bin/python -m bench.standardise
"cold" rows use distinct strings (every call misses the caches); "warm" rows repeat a small set,
as the same names and addresses recur across departments and household members.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from stdnum.cn import ric, uscc

from hub.engine.standardise.addresses import address_similarity, addresses_compatible, parse_address
from hub.engine.standardise.ids import id_distance, normalise_resident_id
from hub.engine.standardise.names import normalise_name
from hub.engine.standardise.organizations import normalise_credit_code, normalise_org_name, org_name_key
from hub.engine.standardise.phones import normalise_phone

N = 20_000
rng = random.Random(7)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈欧阳"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国晓东海燕玉兰志强"
ROADS = ["文三路", "文二路", "教工路", "学院路", "莫干山路", "中山北路", "解放路", "凤起路", "延安路", "体育场路"]
DISTRICTS = ["", "西湖区", "拱墅区", "上城区", "滨江区", "余杭区", "临平区", "萧山区"]
ESTATES = ["", "东部软件园", "朝晖新村", "和睦苑", "阳光花园", "金色家园"]
WRITERS: list[Callable[[str, int, str, int, int, int], str]] = [
    lambda r, n, e, b, u, m: f"{r}{n}号{e}{b}幢{u}单元{m}室",
    lambda r, n, e, b, u, m: f"{r}{n}号{e}{b}号楼{u}单元{m}",
    lambda r, n, e, b, u, m: f"{r}{n}号{b}-{u}-{m}",
    lambda r, n, e, b, u, m: f"{r}{n}号{e}{b}栋{u}单元{m}室",
]


def _name() -> str:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return rng.choice([name, " ".join(name), name.replace("陈", "陳")])


def _id() -> str:
    body = f"330106{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    value = body + ric.calc_check_digit(body + "0")
    return rng.choice([value, value.lower(), " ".join(value[i : i + 6] for i in (0, 6, 12)), value[:-1] + "0"])


def _phone() -> str:
    mobile = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
    landline = f"0571-8{rng.randint(0, 9_999_999):07d}"
    return rng.choice([mobile, f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", landline])


def _address() -> str:
    writer = rng.choice(WRITERS)
    text = rng.choice(DISTRICTS) + writer(
        rng.choice(ROADS),
        rng.randint(1, 300),
        rng.choice(ESTATES),
        rng.randint(1, 30),
        rng.randint(1, 6),
        rng.randint(1, 30) * 100 + rng.randint(1, 4),
    )
    return rng.choice([text, "浙江省杭州市" + text, text.replace("号", "號")])


def _credit_code() -> str:
    body = f"913301{rng.randint(0, 99):02d}MA{rng.randint(0, 9_999_999):07d}"
    return body + uscc.calc_check_digit(body)


def _org() -> str:
    return (
        rng.choice(["杭州", "杭州市", "浙江"])
        + f"某{rng.randint(1, 99_999)}科技"
        + rng.choice(["有限公司", "有限责任公司", "（集团）有限公司", "股份有限公司"])
    )


def _measure(label: str, func: Callable[..., Any], args: Sequence[tuple[Any, ...]], cold: bool = False) -> None:
    """Best of three runs (the machine is shared); cold runs start with empty caches."""
    best = float("inf")
    for _ in range(3):
        if cold:
            _clear()
        start = time.perf_counter()
        for call in args:
            func(*call)
        best = min(best, time.perf_counter() - start)
    print(f"{label:<30} {len(args) / best:>12,.0f} calls/s  {best / len(args) * 1e6:>7.2f} µs/call")


def _clear() -> None:
    for func in (
        parse_address,
        normalise_name,
        normalise_phone,
        normalise_org_name,
        org_name_key,
        normalise_credit_code,
        _credit_code,
    ):
        func.cache_clear()


def main() -> None:
    parse_address("西湖区文三路90号")  # load the reference table and OpenCC once
    normalise_name("陳曉明")
    ids = [(_id(),) for _ in range(N)]
    names = [(_name(),) for _ in range(N)]
    phones = [(_phone(),) for _ in range(N)]
    addresses = [(_address(),) for _ in range(N)]
    orgs = [(_org(),) for _ in range(N)]
    codes = [(_credit_code(),) for _ in range(N)]
    _measure("normalise_resident_id", normalise_resident_id, ids)
    _measure("id_distance", id_distance, [(a[0], b[0]) for a, b in zip(ids, reversed(ids), strict=True)])
    _measure("normalise_name (cold)", normalise_name, cold=True, args=names)
    _measure("normalise_name (warm)", normalise_name, names)
    _measure("normalise_phone (cold)", normalise_phone, cold=True, args=phones)
    _measure("parse_address (cold)", parse_address, cold=True, args=addresses)
    _measure("parse_address (warm)", parse_address, addresses)
    parsed = [parse_address(a[0]) for a in addresses]
    pairs = list(zip(parsed, reversed(parsed), strict=True))
    _measure("addresses_compatible", addresses_compatible, pairs)
    _measure("address_similarity", address_similarity, pairs)
    _measure("normalise_credit_code (cold)", normalise_credit_code, cold=True, args=codes)
    _measure("normalise_org_name (cold)", normalise_org_name, cold=True, args=orgs)
    _measure("org_name_key (cold)", org_name_key, cold=True, args=orgs)


if __name__ == "__main__":
    main()
