"""The garbage collector of `hub serve`, set once the app is built and before it serves.

Why: under bench/window.py a tenth of the serving process's samples were the cyclic collector
(`gc_collect_main`), started by a request's allocations: each full collection walked the hundred
thousand objects the imports and the app left behind (FastAPI, pydantic, the policy), a
long-lived heap that never becomes garbage. The rule: collect once, then freeze what is left (it is
never scanned again, `gc.freeze`), and let the young generation grow to `YOUNG` container
allocations before a collection, so the objects of the requests in flight are scanned less often.
Reference counting still frees a request's objects at once; only cycles wait for a collection.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["YOUNG", "settle_heap"]

#: Container allocations (net) between two young-generation collections (CPython's default: 700).
YOUNG: Final = 20_000


def settle_heap() -> None:
    """Collect, freeze the surviving heap, and raise the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)
