"""ID lookups per second through the service window (`hub serve`), next to the same reads made
directly against Redis by the same client: the ratio is the API's overhead.

    .venv/bin/python -m bench.window --citizens 1000000            # the issue's city
    .venv/bin/python -m bench.window --citizens 20000 --seconds 5  # a quick look

What runs where (figures printed, never asserted):
- a throwaway `redis-server` (no persistence, loopback) holding a generated city of `--citizens`
  citizens written straight in the read model's shape (`hub.readmodel.store`: the citizen document
  of `master_document` stored by `hub.readmodel.codec`, the keyed-hash ID, phone and birth indexes
  of `index_keys`, the address index
  of households of 1 to 4, the civil-affairs record each residence came from), in bulk with
  pipelines, not through Kafka and the processors;
- `hub serve` (uvicorn, `--workers`) with the audit on: sealed events to the real broker of
  `hub infra up` (a topic of its own), disclosures tracked in Redis;
- this process as the client, on loopback: `--clients` concurrent keep-alive connections, each
  a hall with its own credential (purpose 综合受理, the whole city), asking
  `GET /citizens?id_number=…` for random citizens; then the same client doing, per lookup, the
  read-model reads one API lookup makes, in the same one round trip (the window's own script,
  `hub.window.reader.LOOKUP_AROUND`, with the arguments `ReadModel.id_lookup_call` gives it: the ID
  index's members, their documents, residence and employer records and households), over as many
  connections. Both sides are a few lines of asyncio streams (HTTP/1.1 by hand; RESP with
  hiredis's C parser), so that the client costs little of the machine's two cores and the raw side
  measures Redis, not a client library (redis-py's asyncio client cost 690 us of client CPU a
  lookup, more than the server it measured).
- `--build DIR`: the API measured again with `hub serve` from another checkout (PYTHONPATH=DIR),
  alternating with this one `--rounds` times on the same Redis and the same credentials, so a change
  is judged side by side in the same minutes.

The per-credential rate limit (20/s by default) is raised for the run: 64 halls asking as fast as
they can would otherwise measure 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import hiredis
import redis
from redis.asyncio import Redis as AsyncRedis

from hub.infra import ensure_up
from hub.infra.redis_server import HASH_MAX_LISTPACK_VALUE
from hub.readmodel.codec import FORMAT, encode_document, encode_record
from hub.readmodel.store import (
    CITIZEN_BUCKET_BITS,
    RedisKeys,
    address_slot,
    citizen_buckets,
    index_slot,
    record_buckets,
    written_at_now,
)
from hub.settings import HubSettings, TopicNames, load_settings
from hub.window.reader import LOOKUP_AROUND, ReadModel
from hub.wire.registry_client import SchemaRegistry
from hub.wire.schema_sync import sync_catalogue
from hub.wire.topics import ensure_topics

HUB = str(Path(sys.executable).parent / "hub")
PURPOSE = "综合受理"
DISTRICTS = (("330102", "上城区", "清波街道"), ("330105", "拱墅区", "米市巷街道"), ("330106", "西湖区", "北山街道"),
             ("330108", "滨江区", "西兴街道"), ("330109", "萧山区", "城厢街道"), ("330110", "余杭区", "五常街道"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
DAYS = 80 * 365  # birth dates spread over 80 years
EPOCH = date(1940, 1, 1)
UPDATED = "2024-01-26T09:00:00+08:00"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


# -- the city ------------------------------------------------------------------------------------


def id_number(i: int) -> str:
    """The resident ID of citizen `i`: unique, valid check digit, real birth date."""
    district = DISTRICTS[(i // DAYS // 1000) % len(DISTRICTS)][0]
    born = EPOCH + timedelta(days=i % DAYS)
    body = f"{district}{born:%Y%m%d}{(i // DAYS) % 1000:03d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def _b32(tag: str, i: int) -> str:
    return base64.b32encode(hashlib.blake2b(f"{tag}{i}".encode(), digest_size=10).digest()).decode().lower()


def citizen_id(i: int) -> str:
    return "C-" + _b32("c", i)


def household_of(i: int) -> int:
    """Households of 1 to 4 people: citizen i lives at address household_of(i)."""
    return i // 3 if (i // 3) % 4 else i // 2


def address_id(h: int) -> str:
    return "A-" + _b32("a", h)


def _field(value: Any, source: str, record: str) -> dict[str, Any]:
    return {"value": value, "source": source, "record_id": record, "updated_at": UPDATED}


def citizen(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Citizen `i`'s read-model document (`master_document` shape) and the civil-affairs record of its residence."""
    rng = random.Random(i)
    idn = id_number(i)
    born = f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    gender = "male" if int(idn[16]) % 2 else "female"
    phone = f"13{i:09d}"
    _, district, street = DISTRICTS[int(household_of(i)) % len(DISTRICTS)]
    aid = address_id(household_of(i))
    mz = f"MZ{i}"
    fields: dict[str, Any] = {
        "address_id": _field(aid, "civil_affairs", mz), "birth_date": _field(born, "civil_affairs", mz),
        "gender": _field(gender, "civil_affairs", mz), "id_number": _field(idn, "civil_affairs", mz),
        "name": _field(name, "civil_affairs", mz), "phone": _field(phone, "civil_affairs", mz),
        "registered_address_id": _field(aid, "civil_affairs", mz),
    }
    records = [f"civil_affairs/{mz}"]
    if rng.random() < 0.4:
        fields["employer_id"] = _field("O-" + _b32("o", i % 5000), "tax", f"TX{i}")
        records.append(f"tax/TX{i}")
    if rng.random() < 0.5:
        fields["insurance_status"] = _field("contributing", "hrss", f"RS{i}")
        fields["insurance_kinds"] = _field(["养老", "医疗"], "hrss", f"RS{i}")
        records.append(f"hrss/RS{i}")
    if rng.random() < 0.15:
        fields["chronic_diseases"] = _field(["高血压"], "health", f"WJ{i}")
        fields["family_doctor"] = _field("李医生", "health", f"WJ{i}")
        records.append(f"health/WJ{i}")
    cid = citizen_id(i)
    doc = {
        "citizen_id": cid, "records": sorted(records), "fields": dict(sorted(fields.items())), "contacts": [],
        "conflicts": [],
    }
    h = household_of(i)
    residence = f"{district}{street}{h % 300 + 1}号{h % 20 + 1}幢{h % 6 + 1}01室"
    record = {"source": "civil_affairs", "record_id": mz, "updated_at": UPDATED, "name": name, "gender": gender,
              "id_number": idn, "birth_date": born, "ethnicity": None, "marital_status": None,
              "hukou_address": None, "residence_address": residence, "phone": phone, "street": street,
              "community": None, "assistance_type": None, "elderly_care": None, "death_date": None}
    return doc, record


def write_city(client: redis.Redis, keys: RedisKeys, secret: bytes, n: int, chunk: int = 5000) -> None:
    began = time.perf_counter()
    born: dict[str, list[str]] = {}  # birth date -> citizens (`index_slot` fields hold the sorted ids)
    homes: dict[str, list[str]] = {}  # address id -> residents (`address_slot`, the same form)
    for start in range(0, n, chunk):
        pipe = client.pipeline(transaction=False)
        cids: list[str] = []
        records: dict[str, bytes] = {}
        for i in range(start, min(n, start + chunk)):
            doc, record = citizen(i)
            cid = doc["citizen_id"]
            cids.append(cid)
            pipe.set(keys.citizen(cid), encode_document(doc))
            records[f"civil_affairs/{record['record_id']}"] = encode_record({k: v for k, v in record.items()
                                                                             if v is not None})
            f = doc["fields"]
            for kind, name in (("idnum", "id_number"), ("phone", "phone")):  # one citizen per ID and per phone
                slot = index_slot(keys, secret, kind, f[name]["value"])
                pipe.hset(slot.bucket, slot.field, cid)  # type: ignore[arg-type]
            born.setdefault(f["birth_date"]["value"], []).append(cid)
            homes.setdefault(f["address_id"]["value"], []).append(cid)
        for bucket, stored in record_buckets(keys, records).items():
            pipe.hset(bucket, mapping=stored)  # type: ignore[arg-type]
        for bucket, ids in citizen_buckets(keys, cids).items():
            pipe.hset(bucket, mapping=dict.fromkeys(ids, ""))  # type: ignore[arg-type]
        pipe.execute()
        if start and start % 200_000 == 0:
            print(f"  {start:,} citizens written ({time.perf_counter() - began:.0f} s)", flush=True)
    pipe = client.pipeline(transaction=False)
    for day, cids in born.items():
        slot = index_slot(keys, secret, "birth", day)
        pipe.hset(slot.bucket, slot.field, ",".join(sorted(cids)))  # type: ignore[arg-type]
    for home, cids in homes.items():
        slot = address_slot(keys, home)
        pipe.hset(slot.bucket, slot.field, ",".join(sorted(cids)))  # type: ignore[arg-type]
    pipe.execute()
    client.set(keys.written_at, written_at_now())
    client.set(keys.format, FORMAT)


# -- services ------------------------------------------------------------------------------------


#: Last four digits of the ports `hub infra up` gives Kafka (and its controller), the registry (and its
#: health port), Redis and `hub serve`, in every family of ports (19092, 29092, ...): several engineers'
#: stacks share this machine, and one not started yet must not find its port taken by a bench.
INFRA_PORT_TAILS = frozenset({9092, 9093, 8081, 8082, 6379, 8090})


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port % 10000 not in INFRA_PORT_TAILS:
            return port


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (make setup)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--hash-max-listpack-value", str(HASH_MAX_LISTPACK_VALUE), "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def make_credentials(settings: HubSettings, n: int) -> list[str]:
    from hub.window.credentials import CredentialStore
    from hub.window.purposes import default_policy

    async def create() -> list[str]:
        client = AsyncRedis.from_url(settings.redis_url)
        try:
            store = CredentialStore(client, settings.window.redis_prefix, settings.city_code, default_policy())
            return [(await store.create(f"bench hall {k}", [settings.city_code], [PURPOSE])).key for k in range(n)]
        finally:
            await client.aclose()

    return asyncio.run(create())


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


def start_server(env: dict[str, str], workers: int, folder: Path, access_log: bool, build: Path | None = None
                 ) -> Server:
    port = free_port()
    log = folder / "serve.log"
    cmd = [HUB, "serve", "--port", str(port), "--workers", str(workers)]
    if not access_log:
        cmd.append("--no-access-log")
    if build is not None:  # another checkout's hub package first on the path (the venv's is editable)
        env = {**env, "PYTHONPATH": str(build)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                            cwd=str(build) if build is not None else None)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return Server(proc, port, log)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"hub serve did not start:\n{log.read_text()[-2000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (uvicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pids.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def stop_server(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.proc.kill()


# -- the client ----------------------------------------------------------------------------------


@dataclass
class Result:
    done: int
    errors: int
    seconds: float
    latencies: list[float]
    server_cpu_s: float = float("nan")  # CPU the server used in the measured seconds
    client_cpu_s: float = float("nan")

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _picks(n: int, seed: int) -> Iterator[int]:
    rng = random.Random(seed)
    while True:
        yield rng.randrange(n)


async def _http_client(port: int, key: str, n: int, seed: int, warm_until: float, stop_at: float,
                       out: list[float], errors: list[int]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"Host: bench\r\nAuthorization: Bearer {key}\r\nX-Purpose: {quote(PURPOSE)}\r\n"
            "X-Case-Id: BENCH-1\r\n\r\n").encode()
    done = 0
    for i in _picks(n, seed):
        began = time.perf_counter()
        if began >= stop_at:
            break
        writer.write(f"GET /citizens?id_number={id_number(i)} HTTP/1.1\r\n".encode() + head)
        status_line = await reader.readuntil(b"\r\n")
        headers = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in headers.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        if began >= warm_until:
            out.append(time.perf_counter() - began)
            done += 1
            if status_line[9:12] != b"200":
                errors.append(int(status_line[9:12]))
    writer.close()
    return done


class Resp:
    """One Redis connection speaking RESP over asyncio streams, replies parsed by hiredis (C)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.parser = hiredis.Reader()

    @classmethod
    async def connect(cls, url: str) -> Resp:
        host, _, port = url.removeprefix("redis://").split("/")[0].rpartition(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def call(self, *args: str | int | bytes) -> Any:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.writer.write(b"".join(parts))
        while (reply := self.parser.gets()) is False:
            self.parser.feed(await self.reader.read(65536))
        if isinstance(reply, hiredis.ReplyError):
            raise reply
        return reply

    def close(self) -> None:
        self.writer.close()


async def _raw_client(url: str, sha: str, reader: ReadModel, n: int, seed: int, warm_until: float,
                      stop_at: float, out: list[float]) -> int:
    conn = await Resp.connect(url)
    done = 0
    try:
        for i in _picks(n, seed):
            began = time.perf_counter()
            if began >= stop_at:
                break
            await raw_lookup(conn, sha, reader, id_number(i))
            if began >= warm_until:
                out.append(time.perf_counter() - began)
                done += 1
    finally:
        conn.close()
    return done


async def raw_lookup(conn: Resp, sha: str, reader: ReadModel, idn: str) -> int:
    """The read-model reads of one API ID lookup (hub.window.routes search_citizens under 综合受理, which
    shows the employer and the household): the window's script with the window's arguments, in the one
    round trip the API makes. Returns how many citizens it read. (Before the script the API made four
    round trips: SMEMBERS, MGET, a pipeline with SMEMBERS for the household, MGET.)"""
    keys, args = reader.id_lookup_call(idn, employer=True, household=True)
    reply = await conn.call("EVALSHA", sha, len(keys), *keys, *args)
    return len(reply)


async def _cpu_window(pid: int | None, warmup: float, seconds: float) -> tuple[float, float]:
    """CPU seconds of the server (`pid`, or Redis) and of this client over the measured seconds."""
    await asyncio.sleep(warmup)
    s0, c0 = cpu_seconds(pid) if pid else 0.0, time.process_time()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - s0) if pid else float("nan"), time.process_time() - c0


def run_http(port: int, pid: int, keys_: list[str], n: int, seconds: float, warmup: float) -> Result:
    async def main() -> Result:
        out: list[float] = []
        errors: list[int] = []
        now = time.perf_counter()
        warm_until, stop_at = now + warmup, now + warmup + seconds
        cpu = asyncio.create_task(_cpu_window(pid, warmup, seconds))
        counts = await asyncio.gather(*(_http_client(port, k, n, j, warm_until, stop_at, out, errors)
                                        for j, k in enumerate(keys_)))
        server_cpu, client_cpu = await cpu
        return Result(sum(counts), len(errors), seconds, out, server_cpu, client_cpu)

    return asyncio.run(main())


def run_raw(url: str, redis_pid: int | None, keys: RedisKeys, secret: bytes, clients: int, n: int, seconds: float,
            warmup: float) -> Result:
    sha = str(redis.Redis.from_url(url).script_load(LOOKUP_AROUND))

    async def main() -> Result:
        client = AsyncRedis.from_url(url)  # not used for the reads: ReadModel only builds their arguments
        reader = ReadModel(client, keys, secret)
        out: list[float] = []
        try:
            now = time.perf_counter()
            warm_until, stop_at = now + warmup, now + warmup + seconds
            cpu = asyncio.create_task(_cpu_window(redis_pid, warmup, seconds))
            counts = await asyncio.gather(*(_raw_client(url, sha, reader, n, j, warm_until, stop_at, out)
                                            for j in range(clients)))
            redis_cpu, client_cpu = await cpu
        finally:
            await client.aclose()
        return Result(sum(counts), 0, seconds, out, redis_cpu, client_cpu)

    return asyncio.run(main())


def _row(label: str, r: Result, spooled: int | None = None) -> str:
    return (f"{label:30}{r.rate:>10,.0f}{r.pct(50):>9.2f}{r.pct(99):>9.2f}{r.errors:>8}"
            f"{r.server_cpu_s / max(r.done, 1) * 1e6:>16.0f} us{r.client_cpu_s / max(r.done, 1) * 1e6:>16.0f} us"
            f"{os.getloadavg()[0]:>7.2f}{'' if spooled is None else f'{spooled / 1024:>10.0f} KB'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    parser.add_argument("--no-access-log", action="store_true", help="hub serve --no-access-log")
    parser.add_argument("--skip-raw", action="store_true", help="only the API")
    parser.add_argument("--redis-url", help="a Redis already holding the generated city (skips generating it)")
    parser.add_argument("--build", type=Path, help="another checkout: its hub serve measured alternately")
    parser.add_argument("--rounds", type=int, default=1, help="how many times each build is measured")
    args = parser.parse_args()

    ensure_up()
    base = load_settings()
    folder = Path(tempfile.mkdtemp(prefix="bench-window-"))
    redis_proc = None
    if args.redis_url:
        url = args.redis_url
    else:
        redis_proc, url = start_redis(folder)
    tag = f"bw{uuid.uuid4().hex[:6]}"
    settings = base.model_copy(update={"redis_url": url, "topics": TopicNames(
        audit=f"{tag}.audit.access.v1", feedback=f"{tag}.quality.feedback.v1")})
    keys = RedisKeys(settings.processors.redis_prefix)
    secret = settings.citizen_id_key.get_secret_value().encode("utf-8")
    sync = redis.Redis.from_url(url)
    server = None
    builds: list[tuple[str, Path | None]] = [("this checkout", None)]
    if args.build is not None:
        builds.append((args.build.name, args.build.resolve()))
    runs: list[tuple[str, Result, int]] = []
    try:
        counting = sync.pipeline(transaction=False)
        for bucket in range(1 << CITIZEN_BUCKET_BITS):
            counting.hlen(f"{keys.citizens}:{bucket:04x}")
        held = sum(counting.execute())
        if held != args.citizens:
            if held:
                raise SystemExit(f"{url} holds {held:,} citizens, not {args.citizens:,}")
            began = time.perf_counter()
            write_city(sync, keys, secret, args.citizens)
            print(f"city: {args.citizens:,} citizens written in {time.perf_counter() - began:.0f} s, "
                  f"Redis {int(sync.info('memory')['used_memory']) / 2**30:.2f} GiB")
        ensure_topics(settings)
        with SchemaRegistry.from_settings(settings) as registry:
            sync_catalogue(registry, settings)
        credentials = make_credentials(settings, args.clients)
        # every address spelled out: a server from another checkout (--build) has no .hub/env of its own
        env = {**os.environ, "HUB_REDIS_URL": url, "HUB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
               "HUB_REGISTRY_URL": settings.registry_url, "HUB_TOPICS__AUDIT": settings.topics.audit,
               "HUB_TOPICS__FEEDBACK": settings.topics.feedback,
               "HUB_WINDOW__RATE_PER_S": "100000", "HUB_WINDOW__RATE_BURST": "100000"}
        for round_ in range(args.rounds):
            for label, build in builds if round_ % 2 == 0 else builds[::-1]:
                # a spool of its own per run: what one run could not hand to Kafka must not be the next one's work
                spool = folder / f"audit-spool-{len(runs)}.jsonl"
                env["HUB_WINDOW__AUDIT_SPOOL"] = str(spool)
                server = start_server(env, args.workers, folder, not args.no_access_log, build)
                result = run_http(server.port, server.proc.pid, credentials, args.citizens, args.seconds,
                                  args.warmup)
                stop_server(server)
                server = None
                runs.append((f"API, {label}", result, spool.stat().st_size if spool.exists() else 0))
                print(_row(*runs[-1]), flush=True)
        redis_pid = int(sync.info("server")["process_id"])  # on loopback: the same machine
        raw = None if args.skip_raw else run_raw(url, redis_pid, keys, secret, args.clients, args.citizens,
                                                 args.seconds, args.warmup)
    finally:
        if server is not None:
            stop_server(server)
        sync.close()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\nwindow ID lookups, {args.citizens:,} citizens, {args.clients} clients, {args.seconds:.0f} s a run, "
          f"hub serve --workers {args.workers}{' --no-access-log' if args.no_access_log else ''}, audit to Kafka")
    print(f"{'':30}{'lookups/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'server CPU/lookup':>19}"
          f"{'client CPU/lookup':>19}{'load':>7}{'spool':>13}")
    for label, result, spooled_then in runs:
        print(_row(label, result, spooled_then))
    if raw is not None:
        print(_row("raw Redis, same reads", raw))
    print("(server CPU: hub serve and its workers for the API; redis-server for the raw reads; load: 1-minute "
          "load average at the end of the run; spool: audit events Kafka had not taken within the audit timeout, "
          "left in the run's own spool at its end)")
    api = runs[0][1]
    print(f"load average now: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    if raw is None:
        return
    print(f"overhead (this checkout's first run): raw/API throughput {raw.rate / api.rate:.2f}x, "
          f"API/raw p50 {api.pct(50) / raw.pct(50):.2f}x, p99 {api.pct(99) / raw.pct(99):.2f}x; "
          f"mean latency {statistics.fmean(api.latencies) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
