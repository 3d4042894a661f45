"""Builders shared by the format reader tests: department files as bytes, and a good row per department.

Named like a test module so that it sits with the tests it serves; it holds no tests itself.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from connectors.formats import DIALECTS, ParsedRow, read_file
from hub.contract.errors import BadRecordError
from hub.contract.sources import Source

__all__ = [
    "FILE_NAMES",
    "GOOD_ROWS",
    "csv_bytes",
    "file_bytes",
    "header_of",
    "jsonl_bytes",
    "keys_of_rows_with_wrong_column_count",
    "read_all",
    "write",
]

FILE_NAMES: dict[Source, str] = {
    "civil_affairs": "civil_affairs_20240501.csv",
    "health": "health_20240501.csv",
    "hrss": "hrss_20240501.csv",
    "tax": "tax_20240501.jsonl",
    "commerce": "commerce_20240501.csv",
}

ENCODINGS: dict[Source, str] = {
    "civil_affairs": "utf-8-sig",
    "health": "utf-8",
    "hrss": "gbk",
    "tax": "utf-8",
    "commerce": "utf-8",
}

#: One complete, valid row per department, as the department writes it.
GOOD_ROWS: dict[Source, dict[str, object]] = {
    "civil_affairs": {
        "记录编号": "MZ000123",
        "姓名": "阿卜杜·热合曼",
        "性别": "男",
        "公民身份号码": "330106198503121234",
        "出生日期": "1985-03-12",
        "民族": "维吾尔族",
        "婚姻状况": "已婚",
        "户籍地址": "浙江省杭州市西湖区文三路90号",
        "居住地址": "文三路90号东部软件园1号楼, 3单元 501室",
        "联系电话": "+86 139-1234-5678",
        "所属街道": "西湖街道",
        "所属社区": "文三社区",
        "救助类型": "低保",
        "养老服务对象": "是",
        "死亡日期": "",
        "更新时间": "2024-05-01 09:30:00",
    },
    "health": {
        "档案号": "JK0000456",
        "患者姓名": "陈晓明",
        "性别代码": "1",
        "证件类型": "01",
        "证件号码": "33010619850312123x",
        "出生日期": "19850312",
        "现住址": "西湖区文三路90号",
        "手机号码": "13912345678",
        "签约家庭医生": "李医生",
        "慢病标识": "高血压;糖尿病",
        "死亡日期": "",
        "最后更新时间": "2024-05-01T09:30:00+08:00",
    },
    "hrss": {
        "个人编号": "RS00789",
        "姓名": "丂乗·昞皘",  # GBK trail bytes 0x40 '@', 0x5C '\\', 0x7C '|': ASCII range, never structural
        "社会保障号码": "330106198503121234",
        "性别": "女",
        "出生日期": "19850312",
        "参保状态": "参保缴费",
        "参保险种": "养老,医疗,失业",
        "单位名称": "杭州某某科技有限公司",
        "单位统一社会信用代码": "91330106MA2AXXXX0X",
        "通讯地址": "杭州市西湖区文三路90号",
        "联系电话": "0571-88886666",
        "社保卡号": "A12345678",
        "变更时间": "2024/05/01 09:30",
    },
    "tax": {
        "nsrbh": "SW0000000042",
        "xm": "陈晓明",
        "zjlx": "201",
        "zjhm": "330106198503121234",
        "lxdh": "13912345678",
        "jzdz": "文三路90号",
        "rzdw": "杭州某某科技有限公司",
        "rzdw_shxydm": "91330106MA2AXXXX0X",
        "nd": 2023,
        "nsje": "12345.67",
        "gxsj": 1714527000000,
    },
    "commerce": {
        "统一社会信用代码": "91330106MA2AXXXX0X",
        "企业名称": "杭州某某科技有限公司",
        "企业类型": "有限责任公司",
        "法定代表人": "陈晓明",
        "法定代表人证件号码": "330106198503121234",
        "联系电话": "0571-88886666",
        "住所": "杭州市西湖区文三路90号",
        "成立日期": "2015-06-01",
        "登记状态": "存续",
        "登记机关": "杭州市西湖区市场监督管理局",
        "核准日期": "2024-04-30",
    },
}


def header_of(source: Source) -> list[str]:
    return list(DIALECTS[source].columns)


def csv_bytes(
    source: Source,
    rows: Sequence[Mapping[str, object] | Sequence[str]],
    *,
    header: Sequence[str] | None = None,
    encoding: str | None = None,
    terminator: str = "\r\n",
) -> bytes:
    """A CSV export: header then rows (mappings by column name, or lists as they are), RFC 4180 quoting."""
    columns = list(header) if header is not None else header_of(source)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=terminator)
    writer.writerow(columns)
    for row in rows:
        if isinstance(row, Mapping):
            writer.writerow([str(row.get(column, "")) for column in columns])
        else:
            writer.writerow(row)
    return out.getvalue().encode(encoding or ENCODINGS[source])


def jsonl_bytes(rows: Sequence[Mapping[str, object]]) -> bytes:
    return b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)


def file_bytes(source: Source, rows: Sequence[Mapping[str, object]]) -> bytes:
    return jsonl_bytes(rows) if source == "tax" else csv_bytes(source, rows)


def write(directory: Path, source: Source, data: bytes, name: str | None = None) -> Path:
    path = directory / (name or FILE_NAMES[source])
    path.write_bytes(data)
    return path


def read_all(path: Path, **kwargs: object) -> list[ParsedRow]:
    return list(read_file(path, **kwargs))  # type: ignore[arg-type]


def assert_bad_column(result: object, column: str, fragment: str, *, line: int = 2) -> None:
    """The row is a bad record that names its column, its line and what was wrong."""
    assert isinstance(result, BadRecordError)
    assert result.field == column
    assert result.reason.startswith(f"line {line}: column {column}: ")
    assert fragment in result.reason


def read_one_csv(directory: Path, source: Source, row: Mapping[str, str]) -> object:
    """The result of the only row of a one-row export of `source`."""
    rows = read_all(write(directory, source, csv_bytes(source, [row])))
    assert len(rows) == 1
    return rows[0].result


#: The primary address column of each CSV department: where an unquoted comma is typed most often.
ADDRESS_COLUMNS: dict[Source, str] = {
    "civil_affairs": "居住地址", "health": "现住址", "hrss": "通讯地址", "commerce": "住所",
}


def keys_of_rows_with_wrong_column_count(directory: Path, source: Source) -> tuple[str, list[str | None]]:
    """(the good row's key, the keys read from bad versions of it): an unquoted comma typed inside the
    address (too many columns), an empty column appended, the first or last column lost (too few) — in the
    department's column order and in one with the key column last, after the address."""
    columns = header_of(source)
    key_column = DIALECTS[source].required[0]
    address = ADDRESS_COLUMNS[source]
    good = GOOD_ROWS[source]
    keys: list[str | None] = []
    for header in (columns, [c for c in columns if c != key_column] + [key_column]):
        values = [str(good.get(column, "")) for column in header]
        at = header.index(address)
        text = values[at] or "文三路90号"
        split = [*values[:at], text[:2], text[2:], *values[at + 1 :]]
        lost = values[:-1] if header[0] == key_column else values[1:]  # a column other than the key lost
        rows = [split, [*values, ""], lost]
        found = read_all(write(directory, source, csv_bytes(source, rows, header=header)))
        assert [row.error is not None for row in found] == [True, True, True]
        assert "columns where the header has" in str(found[0].error)
        keys.extend(row.key for row in found)
    return str(good[key_column]), keys
