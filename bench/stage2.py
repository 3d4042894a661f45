"""Where stage 2 of `hub process` spends a backlog, each part measured apart (no faust, no broker).

Generates a city, encodes every record as the department event stage 1 receives, then replays the
backlog through the same code the worker runs, part by part, against the real Redis (its own
prefix) and a stub Kafka producer that acknowledges at once:

    decode         Avro decode of the department event (stage 1's `Standardiser.decode`)
    hop            stage 1's forward value and stage 2's read of it (the hub.resolve.v1 hop)
    stage 2        `ResolveStage.handle` on batches of the hop's values, split into the engine
                   (`Resolver.apply`), the Redis write, building the output messages, and the rest
                   (building the Redis plan, mirrors, ops recorder)

    .venv/bin/python -m bench.stage2 --persons 20000 [--batch 2000] [--profile out.pstats] [--fastavro]

`--fastavro` makes every output serializer write with fastavro instead of the compiled writer (the
writer before issue 14); run it alternately with the default to compare. After stage 2 the bench also
re-encodes every output datum it built with both writers, alternating, per topic: µs a message and
whether the bytes are identical.

Figures only; nothing is asserted. Needs `hub infra up` (Redis and the registry).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.processors import isolated_env, records_of
from hub.infra import ensure_up
from hub.settings import load_settings
from hub.wire.avro_mapping import event_for
from hub.wire.registry_client import SchemaRegistry
from hub.wire.serde import TopicCodecs
from processors import resolve as resolve_module
from processors.resolve import ResolveStage
from processors.setup import prepare
from processors.standardise import Standardiser

Timings = dict[str, float]


def timed(timings: Timings, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - began
    return wrapper


def atimed(timings: Timings, name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            timings[name] += time.perf_counter() - began
    return wrapper


class TimedResolver:
    """The resolver with `apply` timed (a compiled class's methods cannot be replaced)."""

    def __init__(self, resolver: Any, apply: Callable[..., Any]) -> None:
        self._resolver = resolver
        self.apply = apply

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolver, name)


Captured = dict[tuple[str, str], list[Any]]


def capture(codecs: TopicCodecs, captured: Captured) -> None:
    """Keep every datum handed to an output serializer (a cached wrapper per topic and role)."""
    serializer = codecs.serializer
    wrappers: dict[tuple[str, str], Callable[[Any], bytes]] = {}

    def wrapped(topic: str, role: str = "value") -> Callable[[Any], bytes]:
        found = wrappers.get((topic, role))
        if found is None:
            inner, kept = serializer(topic, role), captured.setdefault((topic, role), [])

            def found(datum: Any) -> bytes:
                kept.append(datum)
                return inner(datum)
            wrappers[topic, role] = found
        return found

    codecs.serializer = wrapped  # type: ignore[assignment, method-assign]


def compare_writers(codecs: TopicCodecs, captured: Captured, rounds: int = 3) -> None:
    """µs a message of each output topic with the compiled writer and with fastavro, alternating rounds."""
    print("output encode, µs/message (best of alternating rounds):  compiled  fastavro  ratio  identical")
    for (topic, role), datums in sorted(captured.items()):
        ser = codecs.serializer(topic, role)
        compiled = ser._compiled
        if compiled is None or not datums:
            print(f"  {topic} {role}: fastavro only ({len(datums)} datums)")
            continue
        best = {"compiled": float("inf"), "fastavro": float("inf")}
        outputs: dict[str, list[bytes]] = {}
        for _ in range(rounds):
            for name, writer in (("compiled", compiled), ("fastavro", None)):
                ser._compiled = writer
                began = time.perf_counter()
                outputs[name] = [ser(d) for d in datums]
                best[name] = min(best[name], (time.perf_counter() - began) / len(datums))
        ser._compiled = compiled
        same = outputs["compiled"] == outputs["fastavro"]
        print(f"  {topic:32s} {role:5s} n={len(datums):6d}  {best['compiled'] * 1e6:7.1f}  "
              f"{best['fastavro'] * 1e6:7.1f}  {best['fastavro'] / best['compiled']:5.1f}x  {same}")


async def run_stage2(settings: Any, codecs: TopicCodecs, values: list[bytes], batch: int,
                     profile: str | None) -> tuple[float, Timings, int]:
    redis = Redis.from_url(settings.redis_url)
    sent = 0
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)

    async def send(topic: str, key: bytes | None, value: bytes | None) -> Awaitable[Any]:
        nonlocal sent
        sent += 1
        return done

    stage = ResolveStage(settings, codecs, redis, send)
    timings: Timings = defaultdict(float)
    await stage._engine()  # an empty engine (fresh prefix); restore is not part of the backlog
    resolver = stage.resolver
    assert resolver is not None
    stage.resolver = TimedResolver(resolver, timed(timings, "engine", resolver.apply))  # type: ignore[assignment]
    stage._messages = timed(timings, "messages", stage._messages)  # type: ignore[method-assign]
    stage._produce = atimed(timings, "produce", stage._produce)  # type: ignore[method-assign]
    original_write = resolve_module.write_batch
    resolve_module.write_batch = atimed(timings, "redis", original_write)  # type: ignore[assignment]
    prof = cProfile.Profile() if profile else None
    began = time.perf_counter()
    try:
        if prof:
            prof.enable()
        for start in range(0, len(values), batch):
            await stage.handle(values[start:start + batch])
        if prof:
            prof.disable()
    finally:
        resolve_module.write_batch = original_write
    elapsed = time.perf_counter() - began
    if prof and profile:
        prof.dump_stats(profile)
    await redis.aclose()
    return elapsed, timings, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--profile", help="write a cProfile of stage 2 here")
    parser.add_argument("--fastavro", action="store_true", help="write the outputs with fastavro (the old writer)")
    parser.add_argument("--no-compare", action="store_true", help="skip the per-topic writer comparison")
    args = parser.parse_args()
    ensure_up()
    isolated_env(f"s{uuid.uuid4().hex[:8]}")
    settings = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        records = records_of(Path(tmp) / "city", args.persons)
    prepare(settings)
    with SchemaRegistry.from_settings(settings) as registry:
        events = [TopicCodecs(settings, registry).encode_department_event(event_for(r, city_code=settings.city_code))
                  for r in records]
        codecs = TopicCodecs(settings, registry, precheck=False)  # as the worker builds them (processors/app.py)
        standardiser = Standardiser(settings, codecs)
        n = len(events)

        began = time.perf_counter()
        decoded = [standardiser.decode(topic, value) for topic, _, value in events]
        decode_s = time.perf_counter() - began

        began = time.perf_counter()
        values = [stage1_value(r) for r in decoded]
        forward_s = time.perf_counter() - began

        names = settings.topics
        outputs = [names.master_citizen, names.master_address, names.master_organization, names.lifecycle,
                   names.conflicts]
        compiled = {(topic, role): codecs.serializer(topic, role)._compiled
                    for topic in outputs for role in ("value", "key")}
        if args.fastavro:
            for topic, role in compiled:
                codecs.serializer(topic, role)._compiled = None
        captured: Captured = {}
        capture(codecs, captured)
        elapsed, t, sent = asyncio.run(run_stage2(settings, codecs, values, args.batch, args.profile))
    parts = {"engine (Resolver.apply)": t["engine"], "Redis write (MULTI/EXEC)": t["redis"],
             "output messages (build)": t["messages"], "output messages (produce, stub)": t["produce"]}
    rest = elapsed - sum(parts.values())
    print(f"events: {n} ({args.persons} persons, 3 deltas), stage 2 batches of {args.batch}, {sent} messages")
    print(f"stage 1 decode (Avro -> record):        {decode_s / n * 1e6:7.1f} µs/event  {n / decode_s:9,.0f} events/s")
    print(f"stage 1 forward value (record -> bytes): {forward_s / n * 1e6:7.1f} µs/event")
    print(f"stage 2 handle, total:                  {elapsed / n * 1e6:7.1f} µs/event  {n / elapsed:9,.0f} events/s")
    for name, seconds in [*parts.items(), ("rest: read the hop, Redis plan, mirrors, ops", rest)]:
        print(f"  {name:44s} {seconds / n * 1e6:7.1f} µs/event  {seconds / elapsed:6.1%}")
    if not args.no_compare:
        del codecs.serializer  # the unwrapped method again
        for (topic, role), writer in compiled.items():
            codecs.serializer(topic, role)._compiled = writer
        compare_writers(codecs, captured)


def stage1_value(record: Any) -> bytes:
    """What stage 1 forwards on hub.resolve.v1 for a record (processors/app.py)."""
    return bytes(record.model_dump_json().encode("utf-8"))


if __name__ == "__main__":
    main()
