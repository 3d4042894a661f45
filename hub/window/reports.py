"""Reports from the counter (多元校核): a value the resident says is wrong goes to its owner.

Why routed by the resolution policy: the department that owns a field by field authority
(一数一源) is the one that can correct it, so the report names it, with an id and a status, and
the loop can be followed to closure. Each report is kept in Redis (`W report:<id>` as JSON,
`W reports:open` a set of ids) and published to `quality.feedback.v1` for its owner (a
`FeedbackSink`). A report Kafka did not take stays in `W reports:unsent` and goes first with the
next report that gets through: the counter's report is never refused because the broker is down.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any, Final, Protocol

import orjson
from redis.asyncio import Redis

from hub.contract.errors import HubError
from hub.engine.policy import AuthorityPolicy
from hub.readmodel.store import ReportKeys
from hub.window.problems import BodyInvalidError
from hub.window.reader import guarded
from hub.window.views import ReportIn, ReportOut

logger = logging.getLogger(__name__)

#: Fields owned by one department whatever the authority lists say (department facts).
FACT_OWNERS: Final = {
    "ethnicity": "civil_affairs", "marital_status": "civil_affairs", "assistance_type": "civil_affairs",
    "elderly_care": "civil_affairs", "hukou_address": "civil_affairs", "street": "civil_affairs",
    "community": "civil_affairs", "household": "civil_affairs", "family_doctor": "health",
    "chronic_diseases": "health", "insurance_status": "hrss", "insurance_kinds": "hrss",
    "social_security_card": "hrss",
}
REPORTABLE: Final = frozenset({"name", "id_number", "birth_date", "gender", "phone", "residence", "death_date",
                               "employer", *FACT_OWNERS})


class FeedbackSink(Protocol):
    async def send(self, report: dict[str, Any]) -> None: ...


def owner_of(field: str, authority: AuthorityPolicy, current_source: str | None) -> str:
    """The department a report on `field` goes to."""
    if field in FACT_OWNERS:
        return FACT_OWNERS[field]
    if field in ("name", "id_number", "birth_date", "gender"):
        return authority.identity[0]
    if field == "residence":
        return authority.residence[0]
    if field == "death_date":
        return authority.death[0]
    if field == "employer":
        return authority.employment[0]
    # phone: the most recent record wins, so the department that gave the current value
    return current_source if current_source in authority.phone else authority.phone[0]


class Reports:
    def __init__(self, redis: Redis, prefix: str, authority: AuthorityPolicy,
                 sink: FeedbackSink | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = ReportKeys(prefix)
        self.authority = authority
        self.sink = sink

    async def submit(self, cid: str, report: ReportIn, current_source: str | None, *, at: datetime,
                     hall: str, case_id: str) -> ReportOut:
        if report.field not in REPORTABLE:
            raise BodyInvalidError(f"field must be one of {', '.join(sorted(REPORTABLE))}")
        out = ReportOut(report_id="R-" + secrets.token_hex(8), citizen_id=cid, field=report.field,
                        owner=owner_of(report.field, self.authority, current_source), status="submitted",
                        submitted_at=at)
        stored = {**out.model_dump(mode="json"), "resident_says": report.resident_says, "note": report.note,
                  "hall": hall, "case_id": case_id}
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.keys.report(out.report_id), orjson.dumps(stored))
        pipe.sadd(self.keys.open, out.report_id)
        pipe.sadd(self.keys.unsent, out.report_id)
        await guarded(pipe.execute)
        await self.forward()
        return out

    async def forward(self) -> int:
        """Publish every report Kafka has not taken yet, oldest first; how many went (0 if it is down)."""
        if self.sink is None:
            return 0
        unsent = sorted(_text(i) for i in await guarded(lambda: self.redis.smembers(self.keys.unsent)))
        if not unsent:
            return 0
        docs = await guarded(lambda: self.redis.mget([self.keys.report(i) for i in unsent]))
        reports = sorted((orjson.loads(d) for d in docs if d is not None), key=lambda r: (r["submitted_at"],
                                                                                        r["report_id"]))
        try:
            for report in reports:
                await self.sink.send(report)
        except (HubError, OSError, TimeoutError) as exc:
            logger.warning("feedback reports not published yet (%s); kept in Redis", type(exc).__name__)
            return 0
        await guarded(lambda: self.redis.srem(self.keys.unsent, *unsent))
        return len(reports)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
