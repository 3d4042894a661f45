"""The bootstrap's spans: what a fresh one covers, and how an interrupted one resumes."""

from __future__ import annotations

from processors.backlog import Span
from processors.bootstrap import _ends, _resume


def test_a_span_counts_the_events_between_start_and_end() -> None:
    assert Span("t", 0, 5, 12).events == 7
    assert Span("t", 0, 12, 5).events == 0


def test_an_interrupted_bootstrap_resumes_with_its_own_ends_not_todays() -> None:
    taken = [Span("d", 0, 0, 100), Span("d", 1, 10, 50), Span("r", 0, 3, 3)]
    today = [Span("d", 0, 0, 180), Span("d", 1, 10, 75), Span("r", 0, 3, 3)]  # more arrived since
    assert _resume(today, _ends(taken)) == taken


def test_resuming_after_the_commit_never_moves_the_group_back() -> None:
    taken = [Span("d", 0, 0, 100)]
    committed = [Span("d", 0, 100, 140), Span("d", 1, 7, 9)]  # committed at its end, then new events
    assert _resume(committed, _ends(taken)) == [Span("d", 0, 100, 100), Span("d", 1, 7, 7)]
