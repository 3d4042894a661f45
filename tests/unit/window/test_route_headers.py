"""The window's headers are read from the scope as `request.headers.get` reads them (hub/window/routes.py)."""

from __future__ import annotations

from starlette.requests import Request

from hub.window.routes import _headers
from hub.window.service import Headers


def test_one_pass_reads_each_header_as_starlette_does() -> None:
    raw = [(b"host", b"x"), (b"x-request-id", b"r-1"), (b"authorization", b"Bearer k"),
           (b"x-purpose", "综合受理".encode()), (b"x-case-id", b"SL-1"), (b"x-case-id", b"SL-2"),
           (b"x-resident-grant", b"g.h"), (b"x-operator-id", b"op-9")]
    request = Request({"type": "http", "method": "GET", "path": "/citizens", "headers": raw})
    get = request.headers.get
    expected = Headers(get("authorization"), get("x-purpose"), get("x-case-id"), get("x-resident-grant"),
                       get("x-operator-id"), get("x-request-id"))
    assert _headers(request) == expected
    assert expected.case_id == "SL-1" and expected.request_id == "r-1"
    assert _headers(Request({"type": "http", "headers": [(b"host", b"x")]})) == Headers()
