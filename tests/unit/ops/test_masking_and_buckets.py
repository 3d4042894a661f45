"""Masking of dead letters and the recorder's histogram buckets and reason classes (pure functions)."""

from __future__ import annotations

from hub.ops.dlq import parse_id, reason_class
from hub.ops.errors import BadDeadLetterIdError
from hub.ops.freshness import silent
from hub.ops.keys import FRESHNESS_BUCKETS, bucket_of
from hub.ops.masking import mask_digits, mask_text


def test_ids_phones_and_names_are_masked() -> None:
    row = "MZ00000004,王芳娜,女,33010619540505004X,1954-03-12,13900000004,杭州市西湖区文三路5号"
    masked = mask_text(row)
    for secret in ("33010619540505004X", "13900000004", "王芳娜", "杭州市西湖区"):
        assert secret not in masked
    assert masked.count(",") == row.count(",")
    assert "4X" in masked and "王**" in masked
    assert mask_digits("column 证件号码: 33010619540505004X") == "column 证件号码: " + "*" * 16 + "4X"


def test_reason_classes_drop_line_numbers_and_details() -> None:
    assert reason_class("line 12: column 姓名: required value missing") == "column 姓名: required value missing"
    assert reason_class("line 9: malformed CSV (',' expected after '\"')") == "malformed CSV"
    assert reason_class("line 3: 5 columns where the header has 12") == "N columns where the header has N"


def test_buckets_and_silence() -> None:
    assert bucket_of(0.5, FRESHNESS_BUCKETS) == "1.0"
    assert bucket_of(1e9, FRESHNESS_BUCKETS) == "+Inf"
    assert silent(None, 60, 1000)
    assert silent(900, 60, 1000) and not silent(950, 60, 1000)


def test_dead_letter_ids() -> None:
    assert parse_id("health:2:17") == ("health", 2, 17)
    for bad in ("health:2", "nobody:1:2", "tax:x:1"):
        try:
            parse_id(bad)
        except BadDeadLetterIdError:
            continue
        raise AssertionError(bad)


def test_without_redis_the_lag_history_is_the_current_sample_and_says_so() -> None:
    """`hub lag` and /metrics keep answering from Kafka's offsets when Redis (the history) is down."""
    from redis import Redis

    from hub.ops.evaluator import Sample
    from hub.ops.samples import SampleStore

    store = SampleStore(Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5), "hub:", keep_s=60)
    now = Sample(100.0, 5, 9, 0)
    assert store.record({("g", "t", 0): now}) == {("g", "t", 0): [now]}
    assert store.degraded
