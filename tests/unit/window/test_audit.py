"""The audit chain detects any removed, altered or reordered entry; the spool keeps order; fail closed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.window.audit import AuditEvent, AuditLog, SealedEvent, Spool, event_json, read_jsonl, seal, verify_chain
from hub.window.problems import AuditUnavailableError


def _event(i: int) -> AuditEvent:
    return AuditEvent(event_id=f"e{i}", request_id=f"r{i}", occurred_at=datetime(2025, 1, 1, 9, 0, i % 60, tzinfo=UTC),
                      city_code="330100", credential_id="cred-1", hall="清波街道", purpose="养老服务",
                      case_id=f"CASE-{i}", method="GET", path="/citizens", lookup="id_number",
                      query={"id_number": "330106********1234"}, citizens=[f"C-{i}"],
                      disclosed={f"C-{i}": {"name": "full"}}, outcome="answered", status=200)


def _chain(n: int, chain: str = "w1") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    prev = "0" * 64
    for i in range(n):
        sealed = seal(_event(i), chain, i, prev)
        prev = sealed.hash
        rows.append(sealed.model_dump(mode="json"))
    return rows


def test_an_intact_chain_verifies() -> None:
    rows = _chain(5) + _chain(3, "w2")
    report = verify_chain(rows, heads={"w1": (4, rows[4]["hash"])})
    assert report.ok, report.problems
    assert report.chains == {"w1": 5, "w2": 3}


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 5), st.sampled_from(["case_id", "purpose", "hall", "outcome", "status", "citizens",
                                            "disclosed", "occurred_at", "query", "seq", "prev_hash", "hash"]),
       st.data())
def test_any_single_alteration_is_detected(index: int, field: str, data: st.DataObject) -> None:
    rows = _chain(6)
    original = rows[index][field]
    if isinstance(original, int):
        new: Any = data.draw(st.integers().filter(lambda v: v != original))
    elif isinstance(original, list):
        new = [*original, data.draw(st.text(max_size=5))]
    elif isinstance(original, dict):
        new = {**original, data.draw(st.text(min_size=1, max_size=5)): {"phone": "full"}}
        if new == original:
            new = {}
    else:
        new = data.draw(st.text(max_size=20).filter(lambda v: v != original))
    rows[index][field] = new
    assert not verify_chain(rows).ok


@given(st.integers(0, 5))
def test_a_removed_entry_is_detected(index: int) -> None:
    rows = _chain(6)
    del rows[index]
    heads = {"w1": (5, _chain(6)[5]["hash"])}
    assert not verify_chain(rows, heads=heads).ok


@given(st.integers(0, 4), st.integers(1, 5))
def test_a_reordering_is_detected(index: int, offset: int) -> None:
    rows = _chain(6)
    other = min(index + offset, 5)
    if other == index:
        return
    rows[index], rows[other] = rows[other], rows[index]
    assert not verify_chain(rows).ok


class FlakySink:
    def __init__(self) -> None:
        self.events: list[SealedEvent] = []
        self.down = False

    async def send(self, events: Sequence[SealedEvent]) -> None:
        if self.down:
            raise OSError("broker down")
        self.events.extend(events)


def test_spooled_while_the_sink_is_down_then_forwarded_in_order(tmp_path: Path) -> None:
    sink = FlakySink()
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), sink, chain="w1", retry_s=0)

    async def run() -> None:
        await log.record(_event(0))
        sink.down = True
        await log.record(_event(1))
        await log.record(_event(2))
        assert [r["seq"] for r in read_jsonl(tmp_path / "spool.jsonl")] == [1, 2]
        sink.down = False
        await log.record(_event(3))

    asyncio.run(run())
    assert [e.seq for e in sink.events] == [0, 1, 2, 3]
    assert verify_chain([e.model_dump(mode="json") for e in sink.events]).ok
    assert read_jsonl(tmp_path / "spool.jsonl") == []


def test_flush_forwards_the_spool(tmp_path: Path) -> None:
    sink = FlakySink()
    sink.down = True
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), sink, chain="w1", retry_s=0)

    async def run() -> int:
        await log.record(_event(0))
        sink.down = False
        return await log.flush()

    assert asyncio.run(run()) == 1
    assert [e.seq for e in sink.events] == [0]


def test_written_nowhere_means_refused_and_the_chain_does_not_advance(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    sink = FlakySink()
    sink.down = True
    log = AuditLog(Spool(blocker / "spool.jsonl"), sink, chain="w1")
    with pytest.raises(AuditUnavailableError):
        asyncio.run(log.record(_event(0)))
    assert (log.seq, log.head) == (0, "0" * 64)


def test_the_spool_alone_is_a_verifiable_store(tmp_path: Path) -> None:
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), None, chain="w1")

    async def run() -> None:
        for i in range(4):
            await log.record(_event(i))

    asyncio.run(run())
    rows = read_jsonl(tmp_path / "spool.jsonl")
    assert verify_chain(rows).ok
    rows[2]["case_id"] = "CASE-FORGED"
    assert not verify_chain(rows).ok


class CountingSink(FlakySink):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def send(self, events: Sequence[SealedEvent]) -> None:
        self.calls += 1
        await super().send(events)


def test_after_the_sink_fails_it_is_skipped_for_a_while_then_takes_the_spool_first(tmp_path: Path) -> None:
    """A dead broker must not add its timeout to every read: events go straight to the spool until the
    retry time, then the spool is forwarded before new events, in order."""
    sink = CountingSink()
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), sink, chain="w1", retry_s=3600)

    async def run() -> None:
        sink.down = True
        await log.record(_event(0))
        calls = sink.calls
        await log.record(_event(1))
        await log.record(_event(2))
        assert sink.calls == calls, "the sink is not asked again before the retry time"
        assert [r["seq"] for r in read_jsonl(tmp_path / "spool.jsonl")] == [0, 1, 2]
        sink.down = False
        assert await log.flush() == 3
        await log.record(_event(3))

    asyncio.run(run())
    assert [e.seq for e in sink.events] == [0, 1, 2, 3]
    assert verify_chain([e.model_dump(mode="json") for e in sink.events]).ok


def test_concurrent_records_share_batches_and_keep_the_chain(tmp_path: Path) -> None:
    """Group commit: many requests at once are written in few sink calls, in the chain's order."""
    sink = CountingSink()
    log = AuditLog(Spool(tmp_path / "spool.jsonl"), sink, chain="w1")

    async def run() -> None:
        await asyncio.gather(*(log.record(_event(i)) for i in range(50)))

    asyncio.run(run())
    assert [e.seq for e in sink.events] == list(range(50))
    assert sink.calls < 50
    assert verify_chain([e.model_dump(mode="json") for e in sink.events]).ok


class BrokenSpool(Spool):
    def append(self, events: Sequence[SealedEvent]) -> None:
        raise OSError("disk full")


def test_a_batch_written_nowhere_fails_with_what_was_sealed_after_it_and_leaves_no_gap(tmp_path: Path) -> None:
    sink = FlakySink()
    spool = BrokenSpool(tmp_path / "spool.jsonl")
    log = AuditLog(spool, sink, chain="w1", retry_s=0)

    async def run() -> None:
        await log.record(_event(0))
        sink.down = True
        results = await asyncio.gather(*(log.record(_event(i)) for i in range(1, 4)), return_exceptions=True)
        assert all(isinstance(r, AuditUnavailableError) for r in results)
        sink.down = False
        await log.record(_event(4))

    asyncio.run(run())
    assert [e.seq for e in sink.events] == [0, 1]
    assert verify_chain([e.model_dump(mode="json") for e in sink.events]).ok


class ChunkSink(FlakySink):
    """Takes at most `fail_after` sends, then is down; records each send's size."""

    def __init__(self, fail_after: int) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.fail_after = fail_after

    async def send(self, events: Sequence[SealedEvent]) -> None:
        if len(self.sizes) >= self.fail_after:
            raise OSError("broker down again")
        self.sizes.append(len(events))
        await super().send(events)


def test_a_long_outage_is_forwarded_in_chunks_and_a_taken_chunk_is_not_sent_twice(tmp_path: Path) -> None:
    """Seven spooled events, chunks of three: the sink takes the first chunk, then fails; the next
    forwarding starts after it, so each event reaches the sink once, in the chain's order, and
    `hub audit verify`'s view of the spool (`pending_rows`) holds only what was not forwarded."""
    spool = Spool(tmp_path / "spool.jsonl")
    down = FlakySink()
    down.down = True
    writer = AuditLog(spool, down, chain="w1", retry_s=0)
    asyncio.run(writer.record(_event(0)))  # sink down: spooled, one at a time
    for i in range(1, 7):
        asyncio.run(writer.record(_event(i)))
    assert [r["seq"] for r in spool.pending_rows()] == list(range(7))

    flaky = ChunkSink(fail_after=1)
    log = AuditLog(spool, flaky, chain="w1", retry_s=0, forward_chunk=3)
    assert asyncio.run(log.flush()) == 0  # the second chunk failed
    assert flaky.sizes == [3]
    assert [r["seq"] for r in spool.pending_rows()] == [3, 4, 5, 6]

    flaky.fail_after = 99
    assert asyncio.run(log.flush()) == 4
    assert flaky.sizes == [3, 3, 1]
    assert [e.seq for e in flaky.events] == list(range(7))
    assert verify_chain([e.model_dump(mode="json") for e in flaky.events]).ok
    assert spool.pending_rows() == [] and not spool.has_pending()


def test_a_sealed_event_keeps_the_json_it_was_hashed_as(tmp_path: Path) -> None:
    """The sink and the spool use what sealing computed; it is the model's own JSON, and an event read
    back from the spool equals the one sealed."""
    sealed = seal(_event(3), "w1", 0, "0" * 64)
    assert sealed.json_fields() == sealed.model_dump(mode="json")
    assert sealed.sealed_json() == SealedEvent.model_validate(sealed.model_dump()).sealed_json()
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append([sealed])
    assert spool.pending() == [sealed]
    assert verify_chain(spool.pending_rows()).ok


def test_an_event_built_as_json_seals_exactly_like_the_model() -> None:
    """`event_json` (what the window builds per request) is the model's own JSON: same fields, same
    time format (UTC and an offset, with and without microseconds), hence the same hash."""
    for at in (datetime(2025, 1, 1, 9, 0, 0, tzinfo=UTC), datetime(2025, 1, 1, 9, 0, 0, 120, tzinfo=UTC),
               datetime(2025, 1, 1, 9, 0, 0, 120, tzinfo=timezone(timedelta(hours=8)))):
        model = _event(7).model_copy(update={"occurred_at": at})
        as_json = event_json(**model.model_dump())
        assert as_json == model.model_dump(mode="json")
        assert seal(as_json, "w1", 3, "a" * 64).hash == seal(model, "w1", 3, "a" * 64).hash
    with pytest.raises(ValueError, match="reason"):
        event_json(**{k: v for k, v in _event(1).model_dump().items() if k != "reason"})
