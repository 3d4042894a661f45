"""Rows a department system writes that cannot be read: the dead-letter cases the spec names.

Each corruption keeps the rest of the file readable (no unbalanced quote swallowing the next row,
the line terminator kept), so exactly one row is bad and the truth can say which and why.
"""

from __future__ import annotations

import random

import orjson

from citygen.writers import Format, encode_csv

KINDS_CSV = ("bad_encoding", "wrong_column_count", "missing_required", "bad_datetime", "invalid_enum")
KINDS_JSONL = ("bad_encoding", "truncated_json", "missing_required", "bad_datetime", "invalid_enum")

_BAD_TIMES = {
    "civil_affairs": ("2024-02-30 10:15:00", "2024-13-05 08:00:00", "2024-05-01 25:61:00", "N/A",
                      "0000-00-00 00:00:00"),
    "health": ("2024-02-30T10:15:00+08:00", "2024-13-05T08:00:00+08:00", "2024-05-01T25:61:00+08:00", "N/A",
               "未知"),
    "hrss": ("2024/02/30 10:15", "2024/13/05 08:00", "2024/05/01 25:61", "N/A"),
    "commerce": ("2024-02-30", "2024-13-05", "N/A", "0000-00-00"),
}
_BAD_DATES = {"dash": ("1985-02-30", "1985-13-01", "19XX-01-01"), "date8": ("19850230", "19851301", "19850431")}
_BAD_TAX_TIMES: tuple[object, ...] = ("N/A", "2024-13-01T00:00:00", "17145216000O0", "昨天")
_BAD_ENUMS = {
    "性别": ("未知", "M", "F"), "婚姻状况": ("同居", "其他"), "救助类型": ("五保", "其他"),
    "养老服务对象": ("Y", "N", "1"), "性别代码": ("3", "M", "男"), "证件类型": ("99", "1", "身份证"),
    "参保状态": ("正常参保", "停保"), "登记状态": ("迁出", "撤销"), "zjlx": ("299", "ID", "身份证"),
}


def kinds(fmt: Format) -> tuple[str, ...]:
    return KINDS_JSONL if fmt.jsonl else KINDS_CSV


def corrupt(fmt: Format, values: list[str] | dict[str, object], rng: random.Random) -> tuple[bytes, str, bool]:
    """A bad version of a row: (bytes to write, reason, whether the record key is still readable)."""
    kind = rng.choice(kinds(fmt))
    if isinstance(values, dict):
        return _corrupt_json(fmt, dict(values), kind, rng)
    return _corrupt_csv(fmt, list(values), kind, rng)


def _invalid_utf8(text: str, rng: random.Random) -> bytes:
    """The text as another system's GBK bytes (mojibake), or with stray bytes if that happens to be UTF-8."""
    raw = text.encode("gbk", errors="replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    i = rng.randrange(len(raw) + 1)
    return raw[:i] + b"\xff\xfe" + raw[i:]


def _corrupt_csv(fmt: Format, values: list[str], kind: str, rng: random.Random) -> tuple[bytes, str, bool]:
    columns = fmt.columns
    key_ok = True
    if kind == "missing_required":
        column = rng.choice(fmt.required)
        values[columns.index(column)] = ""
        key_ok = column != fmt.key
    elif kind == "bad_datetime":
        if fmt.dates and rng.random() < 0.3:
            column, style = rng.choice(sorted(fmt.dates.items()))
            values[columns.index(column)] = rng.choice(_BAD_DATES[style])
        else:
            values[columns.index(fmt.updated)] = rng.choice(_BAD_TIMES[fmt.source])
    elif kind == "invalid_enum":
        column = rng.choice(sorted(fmt.enums))
        values[columns.index(column)] = rng.choice(_BAD_ENUMS[column])
    elif kind == "wrong_column_count":
        i = columns.index(fmt.address)
        text = values[i]
        if len(text) > 4 and rng.random() < 0.7:  # an unquoted comma typed inside the address
            cut = rng.randrange(2, len(text) - 1)
            values[i : i + 1] = [text[:cut], text[cut:]]
        elif rng.random() < 0.5:
            del values[rng.randrange(1, len(values))]
        else:
            values.append("")
    if kind == "bad_encoding":
        i = columns.index(fmt.name)
        marker = "@@UNREADABLE@@"
        name = values[i] or "张"
        values[i] = marker
        line = encode_csv(values, fmt.line_end).encode(fmt.encoding, errors="replace")
        bad = _invalid_utf8(name, rng) if fmt.encoding == "utf-8" else _invalid_gbk(name, rng)
        return line.replace(marker.encode(), bad), kind, key_ok
    text_line = encode_csv(values, fmt.line_end)
    return text_line.encode(fmt.encoding, errors="replace"), kind, key_ok


def _invalid_gbk(text: str, rng: random.Random) -> bytes:
    raw = text.encode("gbk", errors="replace")
    i = rng.randrange(len(raw) // 2 + 1) * 2
    return raw[:i] + rng.choice((b"\xff", b"\x80", b"\xff\xff")) + raw[i:]


def _corrupt_json(fmt: Format, values: dict[str, object], kind: str,
                  rng: random.Random) -> tuple[bytes, str, bool]:
    key_ok = True
    if kind == "missing_required":
        column = rng.choice(fmt.required)
        if rng.random() < 0.5:
            del values[column]
        else:
            values[column] = None
        key_ok = column != fmt.key
    elif kind == "bad_datetime":
        values[fmt.updated] = rng.choice(_BAD_TAX_TIMES)
    elif kind == "invalid_enum":
        values["zjlx"] = rng.choice(_BAD_ENUMS["zjlx"])
    line = orjson.dumps(values)
    # a line that is not JSON (cut short, or not UTF-8) still names its key if the key's member was written
    # whole before the cut (the key comes first) and the bad bytes are elsewhere (only the name is mangled)
    if kind == "truncated_json":  # cut between characters: the line is still UTF-8, just not JSON
        text = line.decode("utf-8")
        cut = rng.randrange(max(2, len(text) // 4), len(text) - 2)
        key = values.get(fmt.key)
        member = orjson.dumps({fmt.key: key})[1:-1].decode("utf-8")
        key_ok = key_ok and isinstance(key, str) and bool(key.strip()) and member in text[:cut]
        return text[:cut].encode("utf-8") + b"\n", kind, key_ok
    if kind == "bad_encoding":
        name = str(values.get(fmt.name) or "张")
        line = line.replace(orjson.dumps(name), b"\"" + _invalid_utf8(name, rng) + b"\"", 1)
    return line + b"\n", kind, key_ok
