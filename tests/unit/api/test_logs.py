"""`hub serve`'s logs: one JSON object a line, and never a resident ID or a mobile number in clear."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest

from hub.api.logs import (
    REQUEST_ID,
    JsonFormatter,
    MaskPersonalData,
    _utc_ms,
    access_line_of,
    lean_log_records,
    mask_personal,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskPersonalData())
    logger = logging.getLogger("tests.unit.api.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(("text", "masked"), [
    ("id 330106198503121234 asked", "id 330106********1234 asked"),
    ("id 33010619850312123X asked", "id 330106********123X asked"),
    ("id 33010619850312123x", "id 330106********123x"),
    ("old id 330106850312123.", "old id 330106*****2123."),
    ("/citizens?id_number=330106198503121234&x=1", "/citizens?id_number=330106********1234&x=1"),
    ("call 13912345678 now", "call 139****5678 now"),
    ("phone=+8613912345678", "phone=139****5678"),
    ("电话13700002222，身份证330102194003050023", "电话137****2222，身份证330102********0023"),
])
def test_ids_and_mobiles_are_masked(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


@pytest.mark.parametrize("text", [
    "took 1234567890123 ms",  # 13 digits: a millisecond timestamp
    "ns 1733563200123456789",  # 19 digits: not an ID
    "landline 057187654321",  # not a mobile
    "12345678901",  # 11 digits but not 1[3-9]
    "citizen C-3f2a9c0d11e4b5a6",
    "no digits at all",
])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_personal(text) == text


def test_a_record_is_one_json_object_with_the_request_id_and_masked_arguments(
        captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    token = REQUEST_ID.set("req-42")
    try:
        logger.info("lookup of %s by %s", "330106198503121234", "13912345678")
    finally:
        REQUEST_ID.reset(token)
    logger.warning("outside a request")
    first, second = _lines(stream)
    assert set(first) == {"time", "level", "logger", "message", "request_id"}
    assert first["level"] == "INFO" and first["logger"] == "tests.unit.api.logs"
    assert first["message"] == "lookup of 330106********1234 by 139****5678"
    assert first["request_id"] == "req-42"
    assert str(first["time"]).endswith("Z")
    assert second["request_id"] is None
    assert "330106198503121234" not in stream.getvalue() and "13912345678" not in stream.getvalue()


def test_a_traceback_is_masked_too(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("bad id 330106198503121234 for 13912345678")
    except ValueError:
        logger.exception("failed")
    (line,) = _lines(stream)
    assert "ValueError: bad id 330106********1234 for 139****5678" in str(line["exception"])
    assert "330106198503121234" not in stream.getvalue() and "13912345678" not in stream.getvalue()


def test_lean_records_skip_the_stack_walk_and_still_write_the_same_line(
        captured: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch) -> None:
    """After `lean_log_records` a record carries no caller (no stack walk) nor thread/process names,
    and the JSON line holds the same fields, masked as before."""
    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # restored after the test
    logger, stream = captured
    records: list[logging.LogRecord] = []

    class Keep(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            records.append(record)
            return True

    keep = Keep()
    logger.addFilter(keep)
    try:
        logger.info("asked for %s", "330106198503121234")
        lean_log_records()
        logger.info("asked for %s", "330106198503121234")
    finally:
        logger.removeFilter(keep)
    before, after = _lines(stream)
    assert {k: v for k, v in before.items() if k != "time"} == {k: v for k, v in after.items() if k != "time"}
    assert after["message"] == "asked for 330106********1234"
    assert records[0].funcName != "(unknown function)" and records[0].threadName is not None
    assert records[1].funcName == "(unknown function)" and records[1].threadName is None
    assert records[1].processName is None


def _access_logger(stream: io.StringIO) -> tuple[logging.Logger, logging.StreamHandler[io.StringIO]]:
    """A logger named as uvicorn's access logger, outside the logging tree, through the hub's handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskPersonalData())
    logger = logging.Logger("uvicorn.access", logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    return logger, handler


def test_the_direct_access_line_is_the_line_the_logger_writes() -> None:
    stream = io.StringIO()
    logger, _ = _access_logger(stream)
    access = access_line_of(logger)
    assert access is not None
    args = ("127.0.0.1:5123", "GET", "/citizens?id_number=330106198503121234&phone=13912345678", "1.1", 200)
    token = REQUEST_ID.set("req-7")
    try:
        logger.info('%s - "%s %s HTTP/%s" %d', *args)
        access.write(*args)
    finally:
        REQUEST_ID.reset(token)
    logged, direct = _lines(stream)
    assert list(direct) == list(logged)  # same fields, same order
    assert {k: v for k, v in direct.items() if k != "time"} == {k: v for k, v in logged.items() if k != "time"}
    assert direct["message"] == ('127.0.0.1:5123 - "GET /citizens?id_number=330106********1234&phone=139****5678 '
                                 'HTTP/1.1" 200')
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(direct["time"]))
    assert str(direct["time"])[:19] >= str(logged["time"])[:19]


def test_no_direct_access_line_unless_the_hub_handler_is_the_only_one() -> None:
    logger, handler = _access_logger(io.StringIO())
    assert access_line_of(logger) is not None
    logger.addHandler(logging.StreamHandler(io.StringIO()))  # a second destination
    assert access_line_of(logger) is None
    logger, handler = _access_logger(io.StringIO())
    logger.addFilter(logging.Filter("elsewhere"))  # a filter on the way
    assert access_line_of(logger) is None
    logger, handler = _access_logger(io.StringIO())
    handler.setFormatter(logging.Formatter())  # not the JSON line
    assert access_line_of(logger) is None
    logger, handler = _access_logger(io.StringIO())
    handler.filters.clear()  # unmasked
    assert access_line_of(logger) is None
    logger, handler = _access_logger(io.StringIO())
    logger.setLevel(logging.WARNING)  # access log off (--no-access-log)
    assert access_line_of(logger) is None


@pytest.mark.parametrize("created", [
    1765000000.0, 1765000000.0004995, 1765000000.0005, 1765000000.9994999, 1765000000.9995,
    1765000000.9999995, 1765000000.9999996, 1765000001.123456, 0.0, 1.5e-7, 951782400.5,  # 2000-02-29
])
def test_the_log_time_is_datetimes_at_every_rounding_edge(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert _utc_ms(created) == expected
    assert _utc_ms(created + 0.25) == datetime.fromtimestamp(created + 0.25, UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")  # the same second again, from its kept text
