"""Stage 2 with several cities: a batch is split by resolve partition, each city's part to its own engine."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from processors.app import handle_by_city
from processors.errors import CityPartitionError


class Engine:
    def __init__(self) -> None:
        self.batches: list[list[bytes]] = []

    async def handle(self, values: list[bytes]) -> None:
        self.batches.append(values)


def event(partition: int, value: bytes) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(partition=partition), value=value)


def test_each_city_gets_its_records_in_offset_order() -> None:
    engines = [Engine(), Engine()]
    batch = [event(1, b"b1"), event(0, b"a1"), event(1, b"b2"), event(0, b"a2"), event(1, b"b3")]
    asyncio.run(handle_by_city(engines, batch))
    assert engines[0].batches == [[b"a1", b"a2"]]
    assert engines[1].batches == [[b"b1", b"b2", b"b3"]]


def test_a_city_without_records_is_not_called() -> None:
    engines = [Engine(), Engine()]
    asyncio.run(handle_by_city(engines, [event(1, b"b1")]))
    assert engines[0].batches == [] and engines[1].batches == [[b"b1"]]


def test_a_partition_of_no_city_is_refused() -> None:
    with pytest.raises(CityPartitionError, match="partition 2"):
        asyncio.run(handle_by_city([Engine(), Engine()], [event(2, b"x")]))
