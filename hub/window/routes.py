"""The window's HTTP interface (an APIRouter): lookups, views, 本人查询, reports from the counter.

Why parameters are read as plain text: every query parameter and header is declared `str | None`
and checked by `hub.window.lookup`, so no input can produce FastAPI's own validation error or a
500; each refusal is a specific `WindowError` answered as problem+json. Every route runs inside
`Window.access`, which admits the caller and writes the request's one audit event.

Why the citizen routes answer with bytes (`_answer`): their views are built as dicts shaped like
the response models (`hub.window.disclosure`), and returning a `Response` spares FastAPI validating
and dumping them again; `response_model` still documents them in /openapi.json, and the tests check
the answers against those models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from connectors.http_body import read_capped
from hub.engine.standardise.ids import read_resident_id
from hub.window.disclosure import Extras, ViewJson, citizen_view, doc_field, provenance
from hub.window.lookup import (
    GRADE_ORDER,
    Grade,
    check_criteria,
    grade,
    parse_address_id,
    parse_birth_date,
    parse_citizen_id,
    parse_credit_code,
    parse_gender,
    parse_id_number,
    parse_name,
    parse_phone,
)
from hub.window.masking import mask_value
from hub.window.problems import (
    PROBLEM_JSON,
    BodyInvalidError,
    BodyTooLargeError,
    NotFoundError,
    PurposeNotAllowedError,
    WindowError,
)
from hub.window.purposes import Mode
from hub.window.reader import Around
from hub.window.service import Access, Headers, Window, header_text
from hub.window.views import (
    CitizenView,
    Disclosures,
    LegalRepresentative,
    OrganizationView,
    Provenance,
    ReportIn,
    ReportOut,
    Residents,
    SearchResult,
)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_JSON: {"schema": {"type": "object"}}}}
    for status, text in ((400, "bad purpose or case id"), (401, "no or invalid credential"),
                         (403, "purpose, jurisdiction or grant refused"), (404, "nothing visible"),
                         (413, "body too large"), (422, "invalid query or body"), (429, "rate limited"),
                         (503, "read model or audit unavailable"))
}


#: The headers every window request may carry, documented in /openapi.json (`openapi_extra` of each route)
#: and read by `_headers` straight from the request: as FastAPI `Header()` parameters they were validated
#: one by one on every request, a seventh of an ID lookup's CPU (bench/window.py), and as a `Depends` they
#: cost FastAPI's dependency solving. They are plain text either way, checked by `Window.access`.
_HEADER_DOCS: list[tuple[str, str]] = [
    ("authorization", "Bearer <key>"),
    ("x-purpose", "purpose of use, e.g. 社会救助"),
    ("x-case-id", "事项/受理编号 this read serves"),
    ("x-resident-grant", "resident's signed grant (扫码授权)"),
    ("x-operator-id", "staff member at the hall"),
    ("x-request-id", "the caller's request id (1 to 64 of A-Za-z0-9-_.), echoed in X-Request-Id"),
]
HEADER_PARAMETERS: dict[str, Any] = {"parameters": [
    {"name": name, "in": "header", "required": False, "description": text, "schema": {"type": "string"}}
    for name, text in _HEADER_DOCS
]}


#: The query of `GET /citizens`, documented here and read by the route from the request, as the headers are.
SEARCH_PARAMETERS: dict[str, Any] = {"parameters": [
    {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
    for name, text in (("id_number", "resident ID, any spelling (15 or 18 digits, x, spaces, full-width)"),
                       ("name", "with birth_date"), ("birth_date", "YYYY-MM-DD, with name"),
                       ("phone", "mobile or landline"), ("gender", "narrows a name + birth date search"))
] + HEADER_PARAMETERS["parameters"]}


#: Where each header of `_HEADER_DOCS` goes in `Headers`, by its name as the ASGI scope spells it.
_HEADER_SLOTS: dict[bytes, int] = {name.encode("latin-1"): i for i, (name, _) in enumerate(_HEADER_DOCS)}


def _headers(request: Request) -> Headers:
    """The window's headers in one pass over the scope, each as `request.headers.get` reads it: the first
    of a repeated one, decoded as Latin-1 (six `get`s scanned the list six times)."""
    values: list[str | None] = [None] * len(_HEADER_SLOTS)
    slots = _HEADER_SLOTS
    for name, value in request.scope["headers"]:
        slot = slots.get(name)
        if slot is not None and values[slot] is None:
            values[slot] = value.decode("latin-1")
    return Headers(*values)


def _window(request: Request) -> Window:
    window: Window = request.app.state.window
    return window


def _stamp(response: Response, acc: Access) -> None:
    response.headers["X-Request-Id"] = acc.request_id
    response.headers["Cache-Control"] = "no-store"


def _answer(body: dict[str, Any], acc: Access) -> Response:
    """A 200 answer of JSON bytes (UTC times as Z, as pydantic writes them), stamped like `_stamp`."""
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json",
                    headers={"X-Request-Id": acc.request_id, "Cache-Control": "no-store"})


async def _view(window: Window, acc: Access, doc: dict[str, Any], redirected_from: str | None = None,
                extras: Extras | None = None, fetched: Around | None = None) -> ViewJson | None:
    """The citizen's view for this caller, or None when the caller may not see them."""
    purpose = acc.admitted_purpose
    extras = extras or await window.extras(doc, purpose, fetched)
    if not window.visible(acc, doc, extras, redirected_from):
        return None
    # household members share the residence, hence the jurisdiction; under a grant purpose they are
    # shown only as the purpose's household mode allows (presence for 医疗卫生)
    acc.citizens.append(str(doc["citizen_id"]))
    return citizen_view(doc, purpose, extras, acc.shown, redirected_from=redirected_from)


async def search(window: Window, request: Request) -> Response:
    """`GET /citizens`: find citizens by resident ID (any spelling), by name + birth date, or by phone.

    A function of its own: the route below calls it, and so does `hub.window.fastpath` for the
    window's hottest request without FastAPI's routing and dependency machinery."""
    # read like the headers, as plain text (see HEADER_PARAMETERS); the last of a repeated one counts
    # a plain dict parsed as Starlette's `query_params` parses it, without its multidict (1.5 % of a lookup)
    params = dict(parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True))
    id_number, name, birth_date = params.get("id_number"), params.get("name"), params.get("birth_date")
    phone, gender = params.get("phone"), params.get("gender")
    query = {"id_number": id_number, "name": name, "birth_date": birth_date, "phone": phone, "gender": gender}
    async with window.access(request, _headers(request), "search", query) as acc:
        acc.lookup = check_criteria(id_number=id_number, name=name, birth_date=birth_date, phone=phone)
        wanted_gender = parse_gender(gender)  # checked whatever the lookup: no parameter goes unread
        found: list[tuple[Grade, dict[str, Any]]] = []
        fetched: dict[int, Around] = {}  # id(doc) -> what the ID lookup read around it
        if acc.lookup == "id_number" and id_number is not None:
            purpose = acc.admitted_purpose
            around = await window.reader.by_id_number_around(
                parse_id_number(id_number), employer=purpose.mode("employer") is not Mode.HIDDEN,
                household=purpose.mode("household") is not Mode.HIDDEN)
            fetched = {id(a.doc): a for a in around}
            found = [(Grade.CERTAIN, a.doc) for a in around]
        elif acc.lookup == "name_birth_date" and name is not None and birth_date is not None:
            wanted, born = parse_name(name), parse_birth_date(birth_date)
            digits = parse_phone(phone, window.city_code) if phone is not None else None
            docs = await window.reader.citizens(await window.reader.by_birth_date(born.isoformat()))
            for doc in docs:
                g = grade(doc, wanted, born, gender=wanted_gender, phone=digits)
                if g is not None:
                    found.append((g, doc))
        elif phone is not None:
            docs = await window.reader.citizens(
                await window.reader.by_phone(parse_phone(phone, window.city_code)))
            found = [(Grade.PROBABLE if len(docs) == 1 else Grade.POSSIBLE, d) for d in docs]
        found.sort(key=lambda gd: (GRADE_ORDER[gd[0]], str(gd[1].get("citizen_id"))))
        candidates: list[ViewJson] = []  # Candidate
        for g, doc in found:
            if len(candidates) >= window.settings.max_candidates:
                break
            view = await _view(window, acc, doc, fetched=fetched.get(id(doc)))
            if view is not None:
                candidates.append({"grade": g.value, "citizen": view})
        if not candidates:
            acc.outcome = "not_found"
        return _answer({"lookup": acc.lookup, "candidates": candidates, "read_at": datetime.now(UTC)}, acc)


def window_router() -> APIRouter:
    router = APIRouter(tags=["service window"], responses=ERROR_RESPONSES)

    @router.get("/citizens", response_model=SearchResult, openapi_extra=SEARCH_PARAMETERS)
    async def search_citizens(request: Request) -> Response:
        """Find citizens by resident ID (any spelling), by name + birth date, or by phone."""
        return await search(_window(request), request)

    @router.get("/citizens/{citizen_id}", response_model=CitizenView, openapi_extra=HEADER_PARAMETERS)
    async def get_citizen(request: Request, citizen_id: str) -> Response:
        """One citizen; an id retired by a merge answers with the surviving citizen (`redirected_from`)."""
        window = _window(request)
        async with window.access(request, _headers(request), "citizen_id", {"citizen_id": citizen_id}) as acc:
            doc, redirected = await window.reader.citizen(parse_citizen_id(citizen_id))
            view = await _view(window, acc, doc, redirected) if doc is not None else None
            if view is None:
                raise NotFoundError("no citizen with this id is visible to this credential and purpose")
            return _answer(view, acc)

    @router.get("/addresses/{address_id}/residents", response_model=Residents, openapi_extra=HEADER_PARAMETERS)
    async def address_residents(request: Request, address_id: str) -> Response:
        """Everyone whose current residence is this address (the household)."""
        window = _window(request)
        async with window.access(request, _headers(request), "address", {"address_id": address_id}) as acc:
            aid = parse_address_id(address_id)
            docs = await window.reader.citizens(await window.reader.residents(aid))
            views: list[ViewJson] = []
            for doc in docs[:50]:
                extras = await window.extras(doc, acc.admitted_purpose)
                extras.household = []  # the list itself is the household
                view = await _view(window, acc, doc, extras=extras)
                if view is not None:
                    views.append(view)
            if not views:
                raise NotFoundError("no residents of this address are visible to this credential and purpose")
            return _answer({"address_id": aid, "residents": views, "read_at": datetime.now(UTC)}, acc)

    @router.get("/organizations/{credit_code}", response_model=OrganizationView, openapi_extra=HEADER_PARAMETERS)
    async def get_organization(request: Request, response: Response, credit_code: str) -> OrganizationView:
        """An organization by unified social credit code; its legal representative as a citizen link."""
        window = _window(request)
        async with window.access(request, _headers(request), "organization", {"credit_code": credit_code}) as acc:
            code = parse_credit_code(credit_code)
            org_id = await window.reader.organization_id(code)
            record = await window.reader.record("commerce/" + code)
            if org_id is None or record is None:
                raise NotFoundError("no organization with this credit code")
            rep: LegalRepresentative | None = None
            rep_name, rep_id = record.get("legal_rep_name"), record.get("legal_rep_id_number")
            if rep_name or rep_id:
                rep = LegalRepresentative()
                rid = read_resident_id(rep_id) if isinstance(rep_id, str) else None
                if rid is not None and len(rid.value) == 18 and rid.birth_date is not None:
                    found = await window.reader.by_id_number(rid.value)
                    rep.citizen_id = found[0] if len(found) == 1 else None
                mode = acc.admitted_purpose.mode("name")
                if isinstance(rep_name, str) and mode is not Mode.HIDDEN:
                    rep.name = rep_name if mode is Mode.FULL else str(mask_value("name", rep_name))
                    if rep.citizen_id:
                        acc.shown.add(rep.citizen_id, "name", Mode.MASKED if mode is Mode.PRESENCE else mode)
            _stamp(response, acc)
            return OrganizationView(
                organization_id=org_id, credit_code=code, name=record.get("business_name"),
                org_type=record.get("business_type"), status=record.get("registration_status"),
                legal_representative=rep, address=record.get("address"),
                provenance=Provenance.model_validate(provenance({"source": "commerce", "record_id": code,
                                                                 "updated_at": record.get("updated_at")})),
            )

    @router.get("/citizens/{citizen_id}/disclosures", response_model=Disclosures, openapi_extra=HEADER_PARAMETERS)
    async def citizen_disclosures(request: Request, response: Response, citizen_id: str) -> Disclosures:
        """Who looked at this resident's data (本人查询, with the resident's grant): when, which hall, why."""
        window = _window(request)
        async with window.access(request, _headers(request), "disclosures", {"citizen_id": citizen_id}) as acc:
            if not acc.admitted_purpose.self_service:
                raise PurposeNotAllowedError("the disclosure history is only for 本人查询 with the resident's grant")
            doc, redirected = await window.reader.citizen(parse_citizen_id(citizen_id))
            if doc is None or not acc.granted(str(doc["citizen_id"]), redirected):
                raise NotFoundError("no citizen with this id is visible to this credential and purpose")
            cid = str(doc["citizen_id"])
            seen = await window.tracker.seen(cid)
            acc.citizens.append(cid)
            acc.shown.add(cid, "disclosures", Mode.FULL)
            _stamp(response, acc)
            return Disclosures(citizen_id=cid, disclosures=seen)

    @router.post("/citizens/{citizen_id}/reports", response_model=ReportOut, status_code=201,
                 openapi_extra={**HEADER_PARAMETERS, "requestBody": {"required": True, "content": {
                     "application/json": {"schema": ReportIn.model_json_schema()}}}})
    async def report_value(request: Request, response: Response, citizen_id: str) -> ReportOut:
        """Report a wrong or outdated value; it goes to the department that owns the field."""
        window = _window(request)
        async with window.access(request, _headers(request), "report", {"citizen_id": citizen_id}) as acc:
            report = await _read_report(request, window.settings.max_body_bytes)
            acc.query["field"] = report.field[:40]
            doc, redirected = await window.reader.citizen(parse_citizen_id(citizen_id))
            extras = await window.extras(doc, acc.admitted_purpose) if doc is not None else None
            if doc is None or extras is None or not window.visible(acc, doc, extras, redirected):
                raise NotFoundError("no citizen with this id is visible to this credential and purpose")
            cid = str(doc["citizen_id"])
            acc.citizens.append(cid)
            field_name = "address_id" if report.field == "residence" else report.field
            current = doc_field(doc, field_name)
            out = await window.reports.submit(
                cid, report, str(current["source"]) if current else None, at=acc.at,
                hall=acc.admitted_credential.name, case_id=acc.case_id or "")
            _stamp(response, acc)
            return out

    return router


async def _read_report(request: Request, limit: int) -> ReportIn:
    declared = request.headers.get("content-length")
    body = await read_capped(request, limit) if declared is None or declared.isdigit() else None
    if body is None:
        raise BodyTooLargeError(f"a report body may be at most {limit} bytes")
    ctype = header_text(request.headers.get("content-type")) or ""
    if ctype.split(";")[0].strip().lower() not in ("application/json", ""):
        raise BodyInvalidError("send the report as application/json")
    try:
        data = orjson.loads(bytes(body))
    except orjson.JSONDecodeError:
        raise BodyInvalidError("the body is not valid JSON (UTF-8, no lone surrogates)") from None
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BodyInvalidError(f"{where}: {first['msg']}") from None


__all__ = ["WindowError", "search", "window_router"]
