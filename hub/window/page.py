"""The hall page (社区服务大厅一站式查询): a Chinese page served by the hub, and the one call it needs.

Why served by the hub and not a separate front end: every street hall already reaches `hub serve`,
so the page needs no web server, build step or CDN of its own (halls are often on closed networks),
and it speaks to the window API from the same origin, so no CORS rule has to be opened. The page is
plain HTML, CSS and JavaScript in `static/`, read once when the router is built (a missing file
fails at start-up, not at the counter).

What the page may do is exactly what the API lets its credential do: the key is held in the
browser's sessionStorage only (never a cookie, so the browser never sends it unasked and no
cross-site request can use it), and every read it makes goes through the audited routes. The page
is sent with a strict Content-Security-Policy (scripts and styles from this origin only, no inline
code), and the script writes values with `textContent` only, so department data cannot run as code.

`GET /window/me` tells the signed-in page the credential's name, jurisdiction and purposes, so the
clerk can choose a purpose it may use. It reads the credential and the purpose policy, never a
citizen, so it is authenticated and rate-limited but writes no audit event (the audit is of access
to personal data, issue 12 item 4).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import RedisError

from hub.window.problems import NotFoundError, ReadModelUnavailableError
from hub.window.routes import ERROR_RESPONSES
from hub.window.service import Window

STATIC_DIR: Final = Path(__file__).with_name("static")
#: The page's files and their media types; nothing else under `/hall/static/` is served.
ASSETS: Final = {
    "hall.css": "text/css; charset=utf-8",
    "hall.js": "text/javascript; charset=utf-8",
}
#: Same origin only, no inline code, no frames, no plug-ins, forms post nowhere else.
CSP: Final = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


class PurposeInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    grant: bool = Field(description="lookups need the resident's signed authorisation (X-Resident-Grant)")
    city_wide: bool = Field(description="通办: usable for residents outside the credential's jurisdiction")
    self_service: bool = Field(description="本人查询: the resident's own data and who looked at it")


class Me(BaseModel):
    """The signed-in credential as the hall page shows it (no key, no key hash)."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str
    name: str
    jurisdiction: list[str]
    city_code: str
    purposes: list[PurposeInfo]
    expires_at: datetime


def _read(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


def page_router() -> APIRouter:
    """`/hall` (the page), `/hall/static/<file>` and `GET /window/me`."""
    page = _read("hall.html")
    assets = {name: _read(name) for name in ASSETS}
    router = APIRouter()

    @router.get("/hall", include_in_schema=False)
    async def hall() -> Response:
        return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @router.get("/hall/static/{name}", include_in_schema=False)
    async def hall_static(name: str) -> Response:
        body = assets.get(name)
        if body is None:
            raise NotFoundError("no such file of the hall page")
        return Response(body, media_type=ASSETS[name], headers=PAGE_HEADERS)

    @router.get("/window/me", response_model=Me, tags=["service window"],
                responses={s: ERROR_RESPONSES[s] for s in (401, 429, 503)})
    async def window_me(
        request: Request, response: Response,
        authorization: Annotated[str | None, Header(description="Bearer <key>")] = None,
    ) -> Me:
        """The calling credential: name, jurisdiction and the purposes it may read for (no personal data)."""
        window: Window = request.app.state.window
        try:
            cred = await window.credentials.authenticate(authorization)
        except (RedisError, OSError) as exc:
            raise ReadModelUnavailableError("the credential store (Redis) did not answer") from exc
        window.limiter.take(cred.id)
        purposes = [window.policy.get(p) for p in cred.purposes]
        response.headers["Cache-Control"] = "no-store"
        return Me(credential_id=cred.id, name=cred.name, jurisdiction=list(cred.jurisdiction),
                  city_code=window.city_code, expires_at=cred.expires_at,
                  purposes=[PurposeInfo(name=p.name, description=p.description, grant=p.grant,
                                        city_wide=p.city_wide, self_service=p.self_service)
                            for p in purposes if p is not None])

    return router
