"""Small department export files for the connector tests: good rows plus one bad row of each kind.

Written here rather than by the city generator so that each test knows exactly which line is bad and why;
values are invented (ID numbers are shaped, not real).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from connectors.formats.dialect import Dialect
from connectors.formats.dialects import DIALECTS
from hub.contract.sources import Source

ENCODINGS = {"civil_affairs": "utf-8", "health": "utf-8", "hrss": "gbk", "tax": "utf-8", "commerce": "utf-8"}
SUFFIX = {"civil_affairs": ".csv", "health": ".csv", "hrss": ".csv", "tax": ".jsonl", "commerce": ".csv"}
SURNAMES = "王李张刘陈杨黄赵吴周"
GIVEN = "伟芳娜秀英敏静丽强磊"


def dialect(source: str) -> Dialect:
    return DIALECTS[cast(Source, source)]


def _name(i: int) -> str:
    return SURNAMES[i % 10] + GIVEN[(i // 10) % 10] + GIVEN[(i // 100) % 10]


def _id(i: int) -> str:
    return f"330106{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}X"


def key_of(source: str, i: int) -> str:
    return {
        "civil_affairs": f"MZ{i:08d}",
        "health": f"JK{i:09d}",
        "hrss": f"RS{i:09d}",
        "tax": f"TX{i:011d}",
        "commerce": f"91330106MA{i:08d}",
    }[source]


def good_row(source: str, i: int, minute: int = 0) -> dict[str, object]:
    """Row i of a department as a column → value mapping (tax: its JSON object)."""
    key = key_of(source, i)
    address = f"杭州市西湖区文三路{1 + i % 300}号{1 + i % 20}幢{101 + i % 900}室"
    phone = f"139{i:08d}"
    if source == "civil_affairs":
        return {
            "记录编号": key, "姓名": _name(i), "性别": "男女"[i % 2], "公民身份号码": _id(i),
            "出生日期": f"{1950 + i % 50}-03-12", "民族": "汉族", "婚姻状况": "已婚", "户籍地址": address,
            "居住地址": address, "联系电话": phone, "所属街道": "文新街道", "所属社区": "文三社区",
            "救助类型": "", "养老服务对象": "否", "死亡日期": "", "更新时间": f"2024-05-01 09:{minute:02d}:00",
        }
    if source == "health":
        return {
            "档案号": key, "患者姓名": _name(i), "性别代码": "12"[i % 2], "证件类型": "01", "证件号码": _id(i),
            "出生日期": f"{1950 + i % 50}0312", "现住址": address, "手机号码": phone, "签约家庭医生": "",
            "慢病标识": "高血压;糖尿病" if i % 3 == 0 else "", "死亡日期": "",
            "最后更新时间": f"2024-05-01T09:{minute:02d}:00+08:00",
        }
    if source == "hrss":
        return {
            "个人编号": key, "姓名": _name(i), "社会保障号码": _id(i), "性别": "男女"[i % 2],
            "出生日期": f"{1950 + i % 50}0312", "参保状态": "参保缴费", "参保险种": "养老,医疗,失业",
            "单位名称": "杭州某某科技有限公司", "单位统一社会信用代码": "91330106MA2CFJ0K1B", "通讯地址": address,
            "联系电话": phone, "社保卡号": f"A{i:08d}", "变更时间": f"2024/05/01 09:{minute:02d}",
        }
    if source == "tax":
        return {
            "nsrbh": key, "xm": _name(i), "zjlx": "201", "zjhm": _id(i), "lxdh": phone, "jzdz": address,
            "rzdw": "杭州某某科技有限公司", "rzdw_shxydm": "91330106MA2CFJ0K1B", "nd": 2023,
            "nsje": f"{i % 9000}.50", "gxsj": 1714527000000 + minute * 60_000,
        }
    return {
        "统一社会信用代码": key, "企业名称": f"杭州{_name(i)}科技有限公司", "企业类型": "有限责任公司",
        "法定代表人": _name(i + 1), "法定代表人证件号码": _id(i + 1), "联系电话": phone, "住所": address,
        "成立日期": "2015-06-01", "登记状态": "存续", "登记机关": "杭州市西湖区市场监督管理局",
        "核准日期": f"2024-05-{1 + minute % 28:02d}",
    }


def encode_row(source: str, row: dict[str, object]) -> bytes:
    """One row as the department writes it, without the line terminator."""
    if source == "tax":
        return json.dumps(row, ensure_ascii=False).encode("utf-8")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([row.get(c, "") for c in dialect(source).columns])
    return buffer.getvalue().encode(ENCODINGS[source])


def header(source: str) -> bytes:
    if source == "tax":
        return b""
    line = ",".join(dialect(source).columns).encode(ENCODINGS[source]) + b"\r\n"
    return (b"\xef\xbb\xbf" + line) if source == "civil_affairs" else line


def _replace(source: str, i: int, column: str, value: object) -> bytes:
    return encode_row(source, {**good_row(source, i), column: value})


def bad_rows(source: str, i: int) -> dict[str, bytes]:
    """One unreadable row of each kind the spec names, as raw bytes (i: the row number it pretends to be)."""
    updated = dialect(source).required[-1]
    name = dialect(source).required[1]
    encoded = encode_row(source, good_row(source, i))
    if source == "tax":
        return {
            "wrong encoding": encoded.replace("杭州".encode(), b"\xff\xfe", 1),
            "truncated JSON line": encoded.decode("utf-8")[: len(encoded) // 3].encode("utf-8"),
            "missing required value": _replace(source, i, "xm", ""),
            "unparsable time": _replace(source, i, "gxsj", "2024-05-01"),
            "invalid enum code": _replace(source, i, "zjlx", "999"),
            "line over the 10 MiB row limit": b'{"nsrbh": "TX-HUGE", "xm": "' + b"a" * (11 << 20) + b'"}',
        }
    enum_columns = {"civil_affairs": "婚姻状况", "health": "性别代码", "hrss": "参保状态", "commerce": "登记状态"}
    enum_column = enum_columns[source]
    return {
        "wrong encoding": encoded.replace("杭州".encode(ENCODINGS[source]), b"\xff\xff", 1),
        "wrong column count": encoded.rsplit(b",", 2)[0],
        "missing required value": _replace(source, i, name, ""),
        "unparsable date": _replace(source, i, updated, "2024-13-45 25:61"),
        "invalid enum code": _replace(source, i, enum_column, "未知代码"),
    }


@dataclass
class ExportFile:
    """A written file and what it holds: good record keys and, per bad kind, its raw bytes and line."""

    path: Path
    source: str
    good_keys: list[str] = field(default_factory=list)
    bad: dict[str, tuple[bytes, int, int]] = field(default_factory=dict)  # kind -> (raw, line, byte offset)

    @property
    def rows(self) -> int:
        return len(self.good_keys) + len(self.bad)


def write_export(folder: Path, source: str, good: int, *, start: int = 0, with_bad: bool = True,
                 name: str | None = None) -> ExportFile:
    """A department file with `good` rows and (optionally) one bad row of each kind spread among them."""
    path = folder / (name or f"{source}_test{SUFFIX[source]}")
    export = ExportFile(path, source)
    bad = list(bad_rows(source, start + good).items()) if with_bad else []
    every = max(1, good // (len(bad) + 1)) if bad else 0
    out = io.BytesIO()
    out.write(header(source))
    line = 1 if source == "tax" else 2
    for n in range(good):
        if bad and n and n % every == 0:
            kind, raw = bad.pop(0)
            export.bad[kind] = (raw, line, out.tell())
            out.write(raw + b"\n")
            line += 1
        i = start + n
        out.write(encode_row(source, good_row(source, i)) + b"\n")
        export.good_keys.append(key_of(source, i))
        line += 1
    for kind, raw in bad:
        export.bad[kind] = (raw, line, out.tell())
        out.write(raw + b"\n")
        line += 1
    path.write_bytes(out.getvalue())
    return export


def append_rows(export: ExportFile, start: int, count: int) -> None:
    """Append good rows to an existing export file (a department adding to its drop)."""
    with export.path.open("ab") as fh:
        for i in range(start, start + count):
            fh.write(encode_row(export.source, good_row(export.source, i)) + b"\n")
            export.good_keys.append(key_of(export.source, i))
