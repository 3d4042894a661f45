"""The five export formats, byte for byte as `docs/departments.md` describes them.

Civil affairs: UTF-8 with BOM, RFC 4180 (CRLF, quotes where needed). Health and commerce: UTF-8 CSV.
HRSS: GBK CSV. Tax: UTF-8 JSON Lines with epoch-millisecond update times. Rows are encoded to
bytes here (so bad-row corruption can work on bytes) and streamed to one file per export.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson


@dataclass(frozen=True)
class Format:
    """One department's dialect: columns, encoding, and what the spec says must be there."""

    source: str
    prefix: str
    columns: tuple[str, ...]
    encoding: str  # utf-8 | gbk
    required: tuple[str, ...]
    key: str
    name: str
    updated: str
    dates: dict[str, str] = field(default_factory=dict)  # other date columns → kind (date8 | iso)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    address: str = ""
    bom: bool = False
    line_end: str = "\n"
    jsonl: bool = False

    @property
    def ext(self) -> str:
        return "jsonl" if self.jsonl else "csv"

    def file_name(self, label: str | None) -> str:
        return f"{self.prefix}.{self.ext}" if label is None else f"{self.prefix}_{label}.{self.ext}"

    def header(self) -> bytes:
        if self.jsonl:
            return b""
        text = encode_csv(list(self.columns), self.line_end)
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode(self.encoding)

    def encode(self, values: list[str] | dict[str, object]) -> bytes:
        """A row as the department writes it; raises if a character does not exist in the encoding."""
        if self.jsonl:
            assert isinstance(values, dict)
            return orjson.dumps(values) + b"\n"
        assert isinstance(values, list)
        return encode_csv(values, self.line_end).encode(self.encoding)


_BUFFER = io.StringIO()
_CRLF = csv.writer(_BUFFER, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
_LF = csv.writer(_BUFFER, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def encode_csv(values: list[str], line_end: str) -> str:
    """One CSV record (fields quoted only where RFC 4180 needs it)."""
    _BUFFER.seek(0)
    _BUFFER.truncate()
    (_CRLF if line_end == "\r\n" else _LF).writerow(values)
    return _BUFFER.getvalue()


FORMATS: dict[str, Format] = {
    "civil_affairs": Format(
        "civil_affairs", "civil_affairs",
        ("记录编号", "姓名", "性别", "公民身份号码", "出生日期", "民族", "婚姻状况", "户籍地址", "居住地址",
         "联系电话", "所属街道", "所属社区", "救助类型", "养老服务对象", "死亡日期", "更新时间"),
        "utf-8", required=("记录编号", "姓名", "更新时间"), key="记录编号", name="姓名", updated="更新时间",
        dates={"出生日期": "dash", "死亡日期": "dash"},
        enums={"性别": ("男", "女"), "婚姻状况": ("未婚", "已婚", "离婚", "丧偶"),
               "救助类型": ("低保", "特困", "临时救助"), "养老服务对象": ("是", "否")},
        address="居住地址", bom=True, line_end="\r\n",
    ),
    "health": Format(
        "health", "health",
        ("档案号", "患者姓名", "性别代码", "证件类型", "证件号码", "出生日期", "现住址", "手机号码",
         "签约家庭医生", "慢病标识", "死亡日期", "最后更新时间"),
        "utf-8", required=("档案号", "患者姓名", "最后更新时间"), key="档案号", name="患者姓名",
        updated="最后更新时间", dates={"出生日期": "date8", "死亡日期": "date8"},
        enums={"性别代码": ("0", "1", "2", "9"), "证件类型": ("01", "02", "03", "06", "07")},
        address="现住址",
    ),
    "hrss": Format(
        "hrss", "hrss",
        ("个人编号", "姓名", "社会保障号码", "性别", "出生日期", "参保状态", "参保险种", "单位名称",
         "单位统一社会信用代码", "通讯地址", "联系电话", "社保卡号", "变更时间"),
        "gbk", required=("个人编号", "姓名", "变更时间"), key="个人编号", name="姓名", updated="变更时间",
        dates={"出生日期": "date8"},
        enums={"性别": ("男", "女"), "参保状态": ("参保缴费", "暂停缴费", "终止参保")},
        address="通讯地址",
    ),
    "tax": Format(
        "tax", "tax",
        ("nsrbh", "xm", "zjlx", "zjhm", "lxdh", "jzdz", "rzdw", "rzdw_shxydm", "nd", "nsje", "gxsj"),
        "utf-8", required=("nsrbh", "xm", "gxsj"), key="nsrbh", name="xm", updated="gxsj",
        enums={"zjlx": ("201", "208", "213")}, address="jzdz", jsonl=True,
    ),
    "commerce": Format(
        "commerce", "commerce",
        ("统一社会信用代码", "企业名称", "企业类型", "法定代表人", "法定代表人证件号码", "联系电话", "住所",
         "成立日期", "登记状态", "登记机关", "核准日期"),
        "utf-8", required=("统一社会信用代码", "企业名称", "核准日期"), key="统一社会信用代码",
        name="企业名称", updated="核准日期", dates={"成立日期": "dash"},
        enums={"登记状态": ("存续", "在业", "注销", "吊销")}, address="住所",
    ),
}


def export_name(source: str, period: int, labels: tuple[str, ...]) -> str:
    """civil_affairs.csv for the base (period 0), civil_affairs_20240601.csv for delta 1, …"""
    return FORMATS[source].file_name(None if period == 0 else labels[period - 1])


class ExportWriter:
    """One open file per (department, export); counts data rows so the truth can point at them."""

    def __init__(self, out: Path, labels: tuple[str, ...], headers: bool = True) -> None:
        self.out = out
        self.labels = labels
        self._files: dict[tuple[str, int], BinaryIO] = {}
        self.rows: dict[tuple[str, int], int] = {}
        out.mkdir(parents=True, exist_ok=True)
        for source, fmt in FORMATS.items():
            for period in range(len(labels) + 1):
                handle = open(out / self.file_name(source, period), "wb")  # noqa: SIM115 - closed in close()
                if headers:
                    handle.write(fmt.header())
                self._files[(source, period)] = handle
                self.rows[(source, period)] = 0

    def file_name(self, source: str, period: int) -> str:
        return export_name(source, period, self.labels)

    def write(self, source: str, period: int, data: bytes) -> int:
        """Append an encoded row; returns its 1-based row number in that file."""
        self._files[(source, period)].write(data)
        self.rows[(source, period)] += 1
        return self.rows[(source, period)]

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
