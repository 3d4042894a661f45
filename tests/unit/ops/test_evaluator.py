"""Burrow's rules over a time window (hub.ops.evaluator), on hand-made sample histories."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.ops.evaluator import Sample, evaluate
from hub.ops.status import Status, worst

W = 10.0


def series(points: list[tuple[int | None, int]], step: float = 2.0, start: float = 1000.0) -> list[Sample]:
    return [Sample(start + i * step, c, e) for i, (c, e) in enumerate(points)]


def at_end(samples: list[Sample]) -> float:
    return samples[-1].at


def test_caught_up_is_ok_whatever_came_before() -> None:
    s = series([(0, 50), (0, 80), (80, 80)])
    assert evaluate(s, at_end(s), W).status is Status.OK


def test_no_samples_and_one_sample() -> None:
    assert evaluate([], 0.0, W).status is Status.OK
    only = [Sample(5.0, 3, 10)]
    verdict = evaluate(only, 5.0, W, consuming=True)
    assert verdict.status is Status.OK and not verdict.complete


def test_lag_with_no_member_to_commit_is_stop_at_once() -> None:
    """The processors are down: nothing can drain the lag, so waiting a whole window to say so helps nobody."""
    s = series([(10, 20), (10, 25), (10, 30), (10, 35), (10, 40), (10, 45)])  # 10 s span
    assert evaluate(s, at_end(s), W, consuming=False).status is Status.STOP
    early = s[:1]  # the first look after the stop
    assert evaluate(early, at_end(early), W, consuming=False).status is Status.STOP
    caught_up = series([(20, 20)])
    assert evaluate(caught_up, at_end(caught_up), W, consuming=False).status is Status.OK
    committing = series([(10, 20), (12, 25)])  # a committer outside the group's membership is moving
    assert evaluate(committing, at_end(committing), W, consuming=False).status is not Status.STOP


def test_frozen_with_a_member_and_growing_lag_is_stall_and_constant_lag_is_stop() -> None:
    growing = series([(10, 20), (10, 25), (10, 30), (10, 35), (10, 40), (10, 45)])
    assert evaluate(growing, at_end(growing), W, consuming=True).status is Status.STALL
    flat = series([(10, 20)] * 6)
    assert evaluate(flat, at_end(flat), W, consuming=True).status is Status.STOP


def test_a_vanished_group_with_lag_is_stop_at_once() -> None:
    s = [Sample(1.0, None, 7)]
    verdict = evaluate(s, 1.0, W, consuming=False)
    assert verdict.status is Status.STOP and verdict.rule == "no-consumer"


def test_falling_behind_while_committing_is_warn() -> None:
    s = series([(10, 20), (15, 30), (20, 40), (25, 50), (30, 60), (35, 70)])
    assert evaluate(s, at_end(s), W, consuming=True).status is Status.WARN


def test_lag_that_falls_once_is_not_warn() -> None:
    s = series([(10, 20), (15, 30), (28, 32), (30, 50), (35, 60), (40, 70)])
    assert evaluate(s, at_end(s), W, consuming=True).status is Status.OK


def test_rewind_unless_it_comes_back() -> None:
    s = series([(50, 100), (60, 100), (20, 100)])
    assert evaluate(s, at_end(s), W, consuming=True).status is Status.REWIND
    back = series([(50, 100), (60, 100), (20, 100), (70, 100)])
    assert evaluate(back, at_end(back), W, consuming=True).status is not Status.REWIND


def test_group_takes_its_worst_partition() -> None:
    assert worst([Status.OK, Status.WARN, Status.STOP]) is Status.STOP
    assert worst([Status.STOP, Status.REWIND]) is Status.REWIND
    assert worst([]) is Status.OK


def test_allowed_lag_counts_as_caught_up() -> None:
    s = series([(10, 12)] * 6)
    assert evaluate(s, at_end(s), W, allowed_lag=2, consuming=False).status is Status.OK


offsets = st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 500)), min_size=1, max_size=30)


@given(offsets, st.booleans())
def test_verdict_ignores_sample_order_and_zero_lag_is_always_ok(raw: list[tuple[int, int]], consuming: bool) -> None:
    s = series([(c, c + extra) for c, extra in raw])
    now = at_end(s)
    a = evaluate(s, now, W, consuming=consuming)
    b = evaluate(list(reversed(s)), now, W, consuming=consuming)
    assert a == b
    if s[-1].lag == 0:
        assert a.status is Status.OK


@given(offsets)
def test_a_moving_consumer_that_catches_up_is_never_stop_or_stall(raw: list[tuple[int, int]]) -> None:
    points = [(i * 10, i * 10 + e) for i, (_, e) in enumerate(raw)] + [(10_000, 10_000)]
    s = series(points)
    assert evaluate(s, at_end(s), W, consuming=True).status is Status.OK
