"""The second half of `hub demo`: a generated city through the connectors and the resolution engine.

It generates a small messy city, publishes its exports through the file connector (bad rows to
the dead-letter topics), resolves the same files with the engine, and prints a few master
citizens with the departments each field came from. ID numbers and phones are shown masked.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hub.contract.errors import HubError
from hub.contract.sources import SOURCES
from hub.engine.resolver import Resolution
from hub.settings import HubSettings, state_dir


def _mask(value: str | None, keep: int = 4) -> str:
    if not value:
        return "-"
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def generate_city(out: Path, persons: int, seed: int) -> None:
    from citygen.engine import generate

    if out.exists():
        shutil.rmtree(out)
    generate(persons, seed, out)


def publish_city(settings: HubSettings, city: Path, say: Callable[[str], None]) -> None:
    """Publish every export through the file connector (checkpointed: a re-run publishes nothing new)."""
    from connectors.file_connector import FileConnector

    exports = sorted(p for p in city.iterdir() if p.is_file())
    rows = published = dead = skipped = 0
    with FileConnector(settings) as connector:
        for path in exports:
            result = connector.process(path)
            rows, published, dead = rows + result.rows, published + result.published, dead + result.dead_letters
            skipped += result.skipped
    say(f"file connector: {len(exports)} exports, {rows} rows → {published} events on dept.<source>.v1, "
        f"{dead} dead letters on dlq.<source>.v1; {skipped} exports already published earlier (checkpoints)")


def stream_city(settings: HubSettings, say: Callable[[str], None], timeout_s: float = 240) -> list[dict[str, object]]:
    """Run `hub process` until the department topics are drained, stop it (SIGTERM), export the read model."""
    from hub.wire.lag import group_lag
    from processors.export import export_masters

    group = settings.processors.app_id
    topics = [settings.topics.dept(s) for s in SOURCES] + [settings.processors.resolve_topic]
    log = state_dir() / "demo" / "process.log"
    started = time.monotonic()
    with log.open("ab") as handle:
        worker = subprocess.Popen([sys.executable, "-c", "from hub.cli.main import main; main()", "process"],
                                  stdout=handle, stderr=subprocess.STDOUT)
        try:
            time.sleep(3)
            while group_lag(settings, group, topics) > 0:
                if worker.poll() is not None:
                    raise HubError(f"hub process exited with {worker.returncode}; see {log}")
                if time.monotonic() - started > timeout_s:
                    raise HubError(f"hub process did not drain the city in {timeout_s:.0f}s; see {log}")
                time.sleep(1)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
    out = state_dir() / "demo" / "stream_masters.jsonl"
    export_masters(settings, out)
    say(f"hub process drained the department topics in {time.monotonic() - started:.0f}s "
        f"(stopped with SIGTERM, exit {worker.returncode}); read model exported to {out}")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def show_masters(resolution: Resolution, say: Callable[[str], None], limit: int = 8) -> None:
    """A few master citizens that merged several departments, with each field's source."""
    merged = sorted(
        (m for m in resolution.masters.values() if len({r.split("/")[0] for r in m.records}) >= 3),
        key=lambda m: m.citizen_id,
    )[:limit]
    say(f"{'CITIZEN':<20} {'NAME':<8} {'ID NUMBER':<20} {'PHONE':<13} {'RECORDS':>7}  SOURCE OF name/id/phone/address")
    for master in merged:
        sources = {f: (v.source if (v := master.fields.get(f)) else "-") for f in ("name", "id_number", "phone",
                                                                                    "address_id")}
        say(
            f"{master.citizen_id:<20} {master.value('name') or '-':<8} {_mask(master.value('id_number')):<20} "
            f"{_mask(master.value('phone')):<13} {len(master.records):>7}  {'/'.join(sources.values())}"
        )


def run_city_demo(settings: HubSettings, say: Callable[[str], None], persons: int = 300, seed: int = 7) -> None:
    from hub.batch.driver import run_resolve

    city = state_dir() / "demo" / "city"
    generate_city(city, persons, seed)
    say(f"generated a city of {persons} persons in {city}")
    publish_city(settings, city, say)
    _, outcomes, resolution = run_resolve([city], settings.city_code)
    bad = sum(1 for o in outcomes if o.error)
    say(
        f"resolved {len(outcomes)} rows ({bad} bad, sent to dead letters) into {len(resolution.masters)} "
        f"master citizens, {len(set(resolution.place_of_text.values()))} addresses, "
        f"{len(set(resolution.organization_of_key.values()))} organizations"
    )
    streamed = {row["citizen_id"]: row for row in stream_city(settings, say)}
    batch = [m.contract_row() for m in resolution.masters.values()]
    same = sum(1 for row in batch if streamed.get(row["citizen_id"]) == row)
    say(f"streaming read model vs batch resolution: {same} of {len(batch)} master citizens identical")
    show_masters(resolution, say)
    from demos.window import run_window_demo

    say("the service window, as a community hall reads it:")
    run_window_demo(settings, resolution, say)
