"""File connector throughput: rows/s publishing each department format into the real broker, against rows/s
of parsing the same file without publishing, side by side with their ratio. Figures only, no assertions.

    .venv/bin/hub infra up
    .venv/bin/python -m bench.connectors [--rows 100000] [--formats civil_affairs,health]

Publishing goes through the real path: `FileConnector.process` (read_file → DepartmentPublisher → idempotent
lz4-batched producer, acks=all), including the final wait for every acknowledgement and the checkpoints.
It writes to its own topics (`bench.dept.<source>.v1`, one hour retention) so no consumer of the hub's
topics sees benchmark rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from connectors.checkpoints import CheckpointStore
from connectors.file_connector import FileConnector
from connectors.formats import read_file
from connectors.formats.dialects import DIALECTS
from hub.contract.sources import SOURCES, Source
from hub.settings import HubSettings, TopicNames, TopicPolicy, load_settings
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics

__all__ = ["main"]

logger = logging.getLogger(__name__)

BENCH_TOPICS = TopicNames(department="bench.dept.{source}.v1", dead_letter="bench.dlq.{source}.v1")
HOUR_MS = 3600 * 1000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞"


def _values(source: str, i: int) -> dict[str, object]:
    """Row i with realistic widths: names, 18-digit IDs, phones, full addresses, quoted list fields."""
    name = SURNAMES[i % 20] + GIVEN[(i * 7) % 20] + GIVEN[(i * 13) % 20]
    rid = f"3301{10 + i % 90}{1940 + i % 70}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}{'0123456789X'[i % 11]}"
    phone = f"1{'3589'[i % 4]}{i % 1_000_000_000:09d}"
    address = f"浙江省杭州市西湖区文三路{1 + i % 300}号{1 + i % 20}幢{1 + i % 6}单元{101 + i % 2400}室"
    minute = i % 60
    if source == "civil_affairs":
        return {"记录编号": f"MZ{i:08d}", "姓名": name, "性别": "男女"[i % 2], "公民身份号码": rid,
                "出生日期": f"{1940 + i % 70}-03-12", "民族": "汉族", "婚姻状况": "已婚", "户籍地址": address,
                "居住地址": address if i % 3 else f"{address},东区", "联系电话": phone, "所属街道": "文新街道",
                "所属社区": "文三社区", "救助类型": ("", "低保", "特困")[i % 3], "养老服务对象": "是否"[i % 2],
                "死亡日期": "", "更新时间": f"2024-05-{1 + i % 28:02d} 09:{minute:02d}:00"}
    if source == "health":
        return {"档案号": f"JK{i:09d}", "患者姓名": name, "性别代码": "1209"[i % 4], "证件类型": "01",
                "证件号码": rid, "出生日期": f"{1940 + i % 70}0312", "现住址": address, "手机号码": phone,
                "签约家庭医生": ("", "李医生")[i % 2], "慢病标识": ("", "高血压", "高血压;糖尿病")[i % 3],
                "死亡日期": "", "最后更新时间": f"2024-05-01T09:{minute:02d}:00+08:00"}
    if source == "hrss":
        return {"个人编号": f"RS{i:09d}", "姓名": name, "社会保障号码": rid, "性别": "男女"[i % 2],
                "出生日期": f"{1940 + i % 65}0312", "参保状态": ("参保缴费", "暂停缴费", "终止参保")[i % 3],
                "参保险种": "养老,医疗,失业", "单位名称": "杭州某某科技有限公司",
                "单位统一社会信用代码": "91330106MA2CFJ0K1B", "通讯地址": address, "联系电话": phone,
                "社保卡号": f"A{i % 100_000_000:08d}", "变更时间": f"2024/05/01 09:{minute:02d}"}
    if source == "tax":
        return {"nsrbh": f"TX{i:013d}", "xm": name, "zjlx": "201", "zjhm": rid, "lxdh": phone, "jzdz": address,
                "rzdw": "杭州某某科技有限公司", "rzdw_shxydm": "91330106MA2CFJ0K1B", "nd": 2023,
                "nsje": f"{i % 90000}.{i % 100:02d}", "gxsj": 1714527000000 + i}
    return {"统一社会信用代码": f"91330106MA{i:08d}", "企业名称": f"杭州{name}科技有限公司", "企业类型": "有限责任公司",
            "法定代表人": name, "法定代表人证件号码": rid, "联系电话": phone, "住所": address, "成立日期": "2015-06-01",
            "登记状态": ("存续", "在业", "注销")[i % 3], "登记机关": "杭州市西湖区市场监督管理局",
            "核准日期": f"2024-05-{1 + i % 28:02d}"}


def _chunks(source: Source, rows: int) -> Iterator[str]:
    buffer = io.StringIO()
    if source == "tax":
        for i in range(rows):
            buffer.write(json.dumps(_values(source, i), ensure_ascii=False) + "\n")
            if buffer.tell() > 1 << 20:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
        return
    columns = DIALECTS[source].columns
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for i in range(rows):
        values = _values(source, i)
        writer.writerow([values[c] for c in columns])
        if buffer.tell() > 1 << 20:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_file(folder: Path, source: Source, rows: int) -> Path:
    dialect = DIALECTS[source]
    path = folder / f"{source}_bench{dialect.suffix}"
    encoding = "utf-8-sig" if source == "civil_affairs" else dialect.encoding
    with path.open("w", encoding=encoding, newline="") as fh:
        for chunk in _chunks(source, rows):
            fh.write(chunk)
    return path


def bench_settings() -> HubSettings:
    base = load_settings()
    policy = TopicPolicy(department_retention_ms=HOUR_MS, dead_letter_retention_ms=HOUR_MS)
    settings = base.model_copy(update={"topics": BENCH_TOPICS, "topic_policy": policy})
    ensure_topics(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        sync_catalogue(registry, settings)
    return settings


class Figures(NamedTuple):
    rows: int
    mb: float
    parse_rate: float  # rows per wall-clock second
    publish_rate: float
    parse_cpu_rate: float  # rows per CPU second of this process (all its threads, librdkafka's included)
    publish_cpu_rate: float


def measure(settings: HubSettings, folder: Path, source: Source, rows: int) -> Figures:
    """Parse-only and publish throughput of one format, wall clock and per CPU second."""
    path = write_file(folder, source, rows)
    wall, cpu = time.perf_counter(), time.process_time()
    parsed = sum(1 for _ in read_file(path))
    parse_wall, parse_cpu = time.perf_counter() - wall, time.process_time() - cpu
    with FileConnector(settings, store=CheckpointStore(folder / "state")) as connector:
        connector.publisher(source)  # registry lookups and producer connection outside the timing
        wall, cpu = time.perf_counter(), time.process_time()
        result = connector.process(path, source)
        publish_wall, publish_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.rows == parsed, (result.rows, parsed)
    return Figures(
        parsed,
        path.stat().st_size / 1e6,
        parsed / parse_wall,
        parsed / publish_wall,
        parsed / parse_cpu,
        parsed / publish_cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default=",".join(SOURCES))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = bench_settings()
    print(f"{'format':<14} {'rows':>8} {'MB':>6} {'parse rows/s':>13} {'publish rows/s':>15} {'publish/parse':>14}"
          f" {'parse rows/cpu-s':>17} {'publish rows/cpu-s':>19}")
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        for source in args.formats.split(","):
            f = measure(settings, Path(tmp), source, args.rows)
            print(f"{source:<14} {f.rows:>8} {f.mb:>6.1f} {f.parse_rate:>13,.0f} {f.publish_rate:>15,.0f} "
                  f"{f.publish_rate / f.parse_rate:>14.2f} {f.parse_cpu_rate:>17,.0f} {f.publish_cpu_rate:>19,.0f}")
    print("rows/s: wall clock; rows/cpu-s: per CPU second of this process (all threads), less sensitive to load")

if __name__ == "__main__":
    main()
