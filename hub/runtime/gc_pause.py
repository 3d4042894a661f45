"""Pause Python's cyclic garbage collector while the engine builds its state.

The engine allocates millions of small, long-lived objects (versions, mentions, index sets)
and makes almost no reference cycles. With the collector on, every generation-2 pass walks all
of them again: on a 30k-person city that was 40% of `hub resolve`'s time for no memory saved
(the collector found a few hundred objects afterwards). Freezing what was built moves it out
of the collector's sight for the rest of the process.

`settle_heap` is the same rule for a server (`hub serve`): once its app is built, what is left is
frozen and the young generation allowed to grow, so the requests' allocations no longer start
passes over the imports' and the app's hundred thousand objects (a tenth of a window lookup's
samples under bench/window.py went to the collector before it).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["YOUNG", "paused_gc", "settle_heap"]

#: Container allocations (net) between two young-generation collections of a server (CPython's default: 700).
YOUNG: Final = 20_000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Collector off inside; on exit, freeze what was built and restore.

    No collection on exit: walking the new objects once costs as much as the pass this avoids
    (1.7 s on a 30k-person city), to find next to nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def settle_heap() -> None:
    """Collect once, freeze the surviving heap, and raise the young generation's threshold to `YOUNG`.

    Reference counting still frees a request's objects at once; only cycles wait for a collection."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
