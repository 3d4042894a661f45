"""Parse throughput of the five department format readers: rows/s per format on one core, no Kafka.

Writes a sizeable file per format (realistic widths, quoted fields with commas) into a temporary directory,
reads it with `connectors.formats.read_file` and prints rows per CPU second (what one core sustains, less
disturbed by other load on the machine than wall time) and per wall second. Figures only.

    .venv/bin/python -m bench.parsers [--rows 200000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import random
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from connectors.formats import DIALECTS, read_file

__all__ = ["main"]

logger = logging.getLogger(__name__)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"
ROADS = ["文三路", "天目山路", "教工路", "古墩路", "莫干山路", "学院路"]
STREETS = ["西湖街道", "北山街道", "翠苑街道", "文新街道"]
COMMUNITIES = ["文三社区", "嘉绿苑社区", "益乐社区", "竞舟社区"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _address(rng: random.Random) -> str:
    road, number = rng.choice(ROADS), rng.randint(1, 300)
    return f"浙江省杭州市西湖区{road}{number}号{rng.randint(1, 20)}幢{rng.randint(101, 2404)}室"


def _id(rng: random.Random) -> str:
    return f"3301{rng.randint(10, 99)}{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}" + (
        f"{rng.randint(0, 999):03d}{rng.choice('0123456789X')}"
    )


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}"


def _csv_lines(header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 1 << 20:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def civil_affairs(rng: random.Random, n: int) -> Iterator[list[str]]:
    for i in range(n):
        address = _address(rng)
        yield [
            f"MZ{i:08d}",
            _name(rng),
            rng.choice("男女"),
            _id(rng),
            f"{rng.randint(1940, 2010)}-03-12",
            "汉族",
            rng.choice(["未婚", "已婚", "离婚", "丧偶"]),
            address,
            address if i % 3 else f"{address},东区",  # some quoted (comma inside)
            _phone(rng),
            rng.choice(STREETS),
            rng.choice(COMMUNITIES),
            rng.choice(["", "低保", "特困"]),
            rng.choice("是否"),
            "",
            f"2024-05-{rng.randint(1, 28):02d} 09:30:00",
        ]


def health(rng: random.Random, n: int) -> Iterator[list[str]]:
    for i in range(n):
        yield [
            f"JK{i:09d}",
            _name(rng),
            rng.choice("1209"),
            "01",
            _id(rng),
            f"{rng.randint(1940, 2010)}0312",
            _address(rng),
            _phone(rng),
            rng.choice(["", "李医生"]),
            rng.choice(["", "高血压", "高血压;糖尿病"]),
            "",
            "2024-05-01T09:30:00+08:00",
        ]


def hrss(rng: random.Random, n: int) -> Iterator[list[str]]:
    for i in range(n):
        yield [
            f"RS{i:09d}",
            _name(rng),
            _id(rng),
            rng.choice("男女"),
            f"{rng.randint(1940, 2005)}0312",
            rng.choice(["参保缴费", "暂停缴费", "终止参保"]),
            "养老,医疗,失业",
            "杭州某某科技有限公司",
            "91330106MA2XXXXX0X",
            _address(rng),
            _phone(rng),
            f"A{rng.randint(0, 99999999):08d}",
            "2024/05/01 09:30",
        ]


def commerce(rng: random.Random, n: int) -> Iterator[list[str]]:
    for i in range(n):
        yield [
            f"91330106MA{i:08d}",
            f"杭州{_name(rng)}科技有限公司",
            "有限责任公司",
            _name(rng),
            _id(rng),
            _phone(rng),
            _address(rng),
            "2015-06-01",
            rng.choice(["存续", "在业", "注销"]),
            "杭州市西湖区市场监督管理局",
            "2024-05-01",
        ]


CSV_FORMATS: dict[str, tuple[str, list[str], Callable[[random.Random, int], Iterator[list[str]]]]] = {
    "civil_affairs": (
        "utf-8-sig",
        list(DIALECTS["civil_affairs"].columns),
        civil_affairs,
    ),
    "health": (
        "utf-8",
        list(DIALECTS["health"].columns),
        health,
    ),
    "hrss": (
        "gbk",
        list(DIALECTS["hrss"].columns),
        hrss,
    ),
    "commerce": (
        "utf-8",
        list(DIALECTS["commerce"].columns),
        commerce,
    ),
}


def write_csv(directory: Path, source: str, n: int, rng: random.Random) -> Path:
    encoding, header, rows = CSV_FORMATS[source]
    path = directory / f"{source}_bench.csv"
    with path.open("w", encoding=encoding, newline="") as out:
        for text in _csv_lines(header, rows(rng, n)):
            out.write(text)
    return path


def write_tax(directory: Path, n: int, rng: random.Random) -> Path:
    path = directory / "tax_bench.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            row = {
                "nsrbh": f"SW{i:010d}",
                "xm": _name(rng),
                "zjlx": "201",
                "zjhm": _id(rng),
                "lxdh": _phone(rng),
                "jzdz": _address(rng),
                "rzdw": "杭州某某科技有限公司",
                "rzdw_shxydm": "91330106MA2XXXXX0X",
                "nd": 2023,
                "nsje": f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}",
                "gxsj": 1714527000000 + i,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def measure(path: Path) -> tuple[int, int, float, float]:
    """Rows read, bad rows, CPU seconds, wall seconds (best of two runs, so file caching does not count)."""
    best_cpu = best_wall = float("inf")
    rows = bad = 0
    for _ in range(2):
        cpu, wall = time.process_time(), time.perf_counter()
        rows = bad = 0
        for row in read_file(path):
            rows += 1
            bad += row.error is not None
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return rows, bad, best_cpu, best_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows per format (default 200000)")
    args = parser.parse_args()
    rng = random.Random(20240501)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        paths = [write_csv(directory, source, args.rows, rng) for source in CSV_FORMATS]
        paths.append(write_tax(directory, args.rows, rng))
        print(f"{'format':<15}{'rows':>10}{'bad':>6}{'MB':>8}{'rows/cpu-s':>12}{'rows/s':>10}{'MB/cpu-s':>10}")
        for path in paths:
            rows, bad, cpu, wall = measure(path)
            megabytes = path.stat().st_size / 1e6
            name = path.stem.removesuffix("_bench")
            print(
                f"{name:<15}{rows:>10}{bad:>6}{megabytes:>8.1f}"
                f"{rows / cpu:>12,.0f}{rows / wall:>10,.0f}{megabytes / cpu:>10.1f}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {peak:.0f} MB (files are streamed, never held whole)")


if __name__ == "__main__":
    main()
