"""Bytes per citizen of the Redis read model and engine state, per key family (`MEMORY USAGE` of every key).

    .venv/bin/python -m bench.redis_memory --persons 20000     # stream a city through `hub process`
    .venv/bin/python -m bench.redis_memory --prefix b1234abcr0n0:  # measure what is already there
    .venv/bin/python -m bench.redis_memory --persons 20000 --decode  # and the window's decode CPU per document

A generated city (`citygen`, 3 deltas) is produced to its own department topics and `hub process` runs
in its own consumer group and Redis prefix to zero lag (`bench.processors.run_process`), then every key
under the prefix is sized with `MEMORY USAGE ... SAMPLES 0` (exact for hashes and sets) and summed per
family. Figures only: nothing is asserted. The keys are left in Redis (`--drop` deletes them).
"""

from __future__ import annotations

import argparse
import random
import re
import time
import uuid
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson
import redis

from bench.processors import isolated_env, records_of, run_process
from demos.roundtrip import produce
from hub.infra import ensure_up
from hub.readmodel.codec import decode_document
from hub.settings import load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors.setup import prepare

#: A key (prefix removed) -> its family: the part before the first variable component.
_FAMILIES = (
    (re.compile(r"^citizen:"), "citizen:<id>"),
    (re.compile(r"^redirect:"), "redirect:<id>"),
    (re.compile(r"^idx:(\w+):"), "idx:{}:*"),
    (re.compile(r"^places:"), "places:<bucket>"),
    (re.compile(r"^engine:records:"), "engine:records:<bucket>"),
    (re.compile(r"^citizens:"), "citizens:<bucket>"),
    (re.compile(r"^ops:"), "ops:*"),
)


def family(name: str) -> str:
    """The family a key belongs to (`idx:idnum:*`, `citizen:<id>`, or the key itself)."""
    for pattern, label in _FAMILIES:
        found = pattern.match(name)
        if found:
            return label.format(*found.groups())
    return name


def measure(client: redis.Redis, prefix: str) -> tuple[dict[str, tuple[int, int]], int]:
    """Per family (keys, bytes) under `prefix`, and the number of live citizens."""
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names = [k.decode() for k in client.scan_iter(match=f"{prefix}*", count=2000)]
    for start in range(0, len(names), 1000):
        chunk = names[start:start + 1000]
        pipe = client.pipeline(transaction=False)
        for name in chunk:
            pipe.memory_usage(name, samples=0)
        for name, used in zip(chunk, pipe.execute(), strict=True):
            entry = sizes[family(name[len(prefix):])]
            entry[0] += 1
            entry[1] += int(used or 0)
    return {k: (v[0], v[1]) for k, v in sizes.items()}, len(live_ids(client, prefix))


def live_ids(client: redis.Redis, prefix: str) -> list[str]:
    """The live citizen ids: the fields of the `citizens:<bucket>` hashes (format 3), or the `citizens` set."""
    if client.type(f"{prefix}citizens") == b"set":  # format 2 and before
        return sorted(m.decode() for m in client.smembers(f"{prefix}citizens"))  # type: ignore[union-attr]
    ids: list[str] = []
    for key in client.scan_iter(match=f"{prefix}citizens:*", count=2000):
        ids.extend(m.decode() for m in client.hkeys(key))  # type: ignore[union-attr]
    return sorted(ids)


def report(sizes: dict[str, tuple[int, int]], citizens: int) -> None:
    total = sum(b for _, b in sizes.values())
    print(f"{citizens:,} citizens; bytes per citizen per key family (MEMORY USAGE):")
    for name, (keys, used) in sorted(sizes.items(), key=lambda kv: -kv[1][1]):
        print(f"  {name:<28} {keys:>8,} keys {used / 1e6:>9.2f} MB {used / max(citizens, 1):>8,.0f} B")
    print(f"  {'all keys':<28} {sum(k for k, _ in sizes.values()):>8,} keys {total / 1e6:>9.2f} MB "
          f"{total / max(citizens, 1):>8,.0f} B ({total / max(citizens, 1) / 1000:.2f} GB per million)")


def decode_cost(client: redis.Redis, prefix: str, limit: int = 5000, rounds: int = 5) -> None:
    """CPU microseconds per document: `decode_document` of the stored values, next to `orjson.loads` of
    the same documents as JSON (what the window read before format 2), alternating, best of `rounds`."""
    ids = live_ids(client, prefix)
    names = [f"{prefix}citizen:{cid}" for cid in random.Random(0).sample(ids, min(limit, len(ids)))]
    stored = [d for d in client.mget(names) if d is not None]
    as_json = [orjson.dumps(decode_document(d)) for d in stored]
    best = {"decode_document": float("inf"), "JSON (orjson.loads)": float("inf")}
    for _ in range(rounds):
        for label, run in (("decode_document", lambda: [decode_document(d) for d in stored]),
                           ("JSON (orjson.loads)", lambda: [orjson.loads(d) for d in as_json])):
            began = time.process_time()
            run()
            best[label] = min(best[label], (time.process_time() - began) / len(stored) * 1e6)
    size = sum(map(len, stored)) / len(stored), sum(map(len, as_json)) / len(as_json)
    print(f"decode CPU per document over {len(stored):,} documents (best of {rounds}); "
          f"mean length stored {size[0]:,.0f} B, as JSON {size[1]:,.0f} B:")
    for label, us in best.items():
        print(f"  {label:<28} {us:6.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--prefix", help="measure the keys under this prefix only (no city is streamed)")
    parser.add_argument("--drop", action="store_true", help="delete the measured keys afterwards")
    parser.add_argument("--decode", action="store_true", help="also time the window's decode of a document")
    args = parser.parse_args()
    ensure_up()
    prefix = args.prefix
    if prefix is None:
        tag = f"m{uuid.uuid4().hex[:8]}"
        isolated_env(tag)
        settings = load_settings()
        with TemporaryDirectory() as tmp:
            records = records_of(Path(tmp) / "city", args.persons)
        prepare(settings)
        with SchemaRegistry.from_settings(settings) as registry:
            codecs = TopicCodecs(settings, registry)
            produce(settings, [codecs.encode_department_event(event_for(r, city_code=settings.city_code))
                               for r in records])
        print(f"events: {len(records):,} ({args.persons:,} persons, 3 deltas)")
        run_process(f"{tag}r0n0", 1, None, len(records))
        prefix = f"{tag}r0n0:"
    client = redis.Redis.from_url(load_settings().redis_url)
    print(f"prefix {prefix}; INFO memory used_memory {int(client.info('memory')['used_memory']) / 1e6:.1f} MB")
    sizes, citizens = measure(client, prefix)
    report(sizes, citizens)
    if args.decode:
        decode_cost(client, prefix)
    if args.drop:
        for name in list(client.scan_iter(match=f"{prefix}*", count=2000)):
            client.unlink(name)


if __name__ == "__main__":
    main()
