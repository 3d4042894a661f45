"""`hub serve` settles its heap once built (hub/runtime/gc_pause.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hub.runtime.gc_pause import YOUNG, settle_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_the_built_heap_is_frozen_and_the_young_generation_raised() -> None:
    kept = [[n] for n in range(1000)]  # long-lived containers, as the app's are
    gc.unfreeze()
    older = gc.get_threshold()[1:]
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (YOUNG, *older)
