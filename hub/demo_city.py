"""The second half of `hub demo`: a generated city through the connectors and the resolution engine.

It generates a small messy city, publishes its exports through the file connector (bad rows to
the dead-letter topics), resolves the same files with the engine, and prints a few master
citizens with the departments each field came from. ID numbers and phones are shown masked.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from hub.engine.resolver import Resolution
from hub.settings import HubSettings, state_dir


def _mask(value: str | None, keep: int = 4) -> str:
    if not value:
        return "-"
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def generate_city(out: Path, persons: int, seed: int) -> None:
    from connectors.generator.engine import generate

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
    from hub.resolve_cli import run_resolve

    city = state_dir() / "demo" / "city"
    generate_city(city, persons, seed)
    say(f"generated a city of {persons} persons in {city}")
    publish_city(settings, city, say)
    _, outcomes, resolution = run_resolve([city], settings.city_code)
    bad = sum(1 for o in outcomes if o.error)
    say(
        f"resolved {len(outcomes)} rows ({bad} bad, sent to dead letters) into {len(resolution.masters)} "
        f"master citizens, {len(set(resolution.place_of_text.values()))} addresses, "
        f"{len(set(resolution.organization_of_key.values()))} organisations"
    )
    show_masters(resolution, say)
