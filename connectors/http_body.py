"""An HTTP request's body read with a size cap, before any parsing: what every JSON endpoint of the hub
needs so that an oversized body is refused without being held whole in memory."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["read_capped"]


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body's bytes, or None when it is (or declares itself) larger than `limit`; the caller names the
    refusal in its own terms."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)
