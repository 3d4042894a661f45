"""Cold parse time per distinct address text of a generated city (figures only).

Run: .venv/bin/python -m bench.address_speed DIR [CITY] [--against REV]
DIR is a ``hub generate`` output; CITY its hub city code (default 330100). With ``--against REV``
the parser of git revision REV (e.g. HEAD~3) runs side by side on the same texts, so a busy
machine slows both alike, and every field of the two results is compared. The revision's copy
always runs interpreted: set ``HUB_NATIVE=0`` to time the current parser the same way.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.formats import detect_source, read_file
from hub.batch.driver import expand_inputs
from hub.engine.standardise import addresses

Parser = Callable[[str, str], Any]
_MODULES = ("_text", "divisions", "numerals", "addresses")


def address_texts(directory: Path) -> list[str]:
    """Distinct stripped residence, hukou and department addresses, in file order."""
    texts: dict[str, None] = {}
    for path in expand_inputs([directory]):
        for row in read_file(path, detect_source(path)):
            for field in ("residence_address", "hukou_address", "address"):
                value = getattr(row.record, field, None) if row.record is not None else None
                if value and value.strip():
                    texts.setdefault(value.strip())
    return list(texts)


def parser_at(revision: str, into: Path) -> Parser:
    """parse_address (uncached) of a git revision, imported from a private copy of its modules."""
    package = into / "address_ref"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in _MODULES:
        source = subprocess.run(
            ["git", "show", f"{revision}:hub/engine/standardise/{name}.py"], check=True, capture_output=True, text=True
        ).stdout
        source = source.replace("from hub.engine.standardise.", "from address_ref.")
        source = source.replace("resources.files(__package__)", 'resources.files("hub.engine.standardise")')
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(into))
    from address_ref import addresses as reference

    return reference.parse_address.__wrapped__


def fields_of(address: Any) -> tuple[Any, ...] | None:
    return None if address is None else tuple(getattr(address, name) for name in addresses.FIELD_NAMES)


def best_time(parse: Parser, texts: list[str], city: str) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for text in texts:
            parse(text, city)
        return time.perf_counter() - start
    finally:
        gc.enable()


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("directory", type=Path)
    args.add_argument("city", nargs="?", default="330100")
    args.add_argument("--against", help="git revision to compare with")
    args.add_argument("--repeat", type=int, default=5)
    options = args.parse_args()
    texts = address_texts(options.directory)
    parsers: dict[str, Parser] = {"current": addresses.parse_address.__wrapped__}
    with tempfile.TemporaryDirectory() as tmp:
        if options.against:
            parsers[options.against] = parser_at(options.against, Path(tmp))
            current, reference = parsers["current"], parsers[options.against]
            differ = sum(
                fields_of(current(text, options.city)) != fields_of(reference(text, options.city)) for text in texts
            )
            print(f"{len(texts)} distinct texts, {differ} parse differently")
        best = dict.fromkeys(parsers, float("inf"))
        for _ in range(options.repeat):
            for label, parse in parsers.items():
                best[label] = min(best[label], best_time(parse, texts, options.city))
    from hub.runtime.compiled import is_compiled

    engines = {"current": "compiled" if is_compiled(addresses) else "interpreted"}
    for label, seconds in best.items():
        engine = engines.get(label, "interpreted")
        print(f"{label:>12}: {seconds / len(texts) * 1e6:6.2f} us per text (best of {options.repeat}, {engine})")


if __name__ == "__main__":
    main()
