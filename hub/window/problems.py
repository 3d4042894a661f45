"""Errors of the service window as RFC 9457 problem details (application/problem+json).

Why one module: every refusal a hall can meet is a specific exception type with its HTTP status,
a stable problem type URI and a Chinese title a counter clerk can read, mapped to a response in
one handler. Routes raise; they never build error responses themselves, so no error path can
forget the content type, leak a stack trace or answer 500 for bad input.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse

from hub.contract.errors import HubError

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://citizen-hub.example/problems/"
PROBLEM_JSON = "application/problem+json"


class WindowError(HubError):
    """Base of the window's refusals; subclasses set status, slug and title."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "请求无效"
    outcome: ClassVar[str] = "refused"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def headers(self) -> dict[str, str]:
        return {}


class CredentialMissingError(WindowError):
    status, slug, title = 401, "credential-missing", "缺少凭证"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="service-window"'}


class CredentialInvalidError(CredentialMissingError):
    """Unknown, expired or revoked key: one answer for all three, so a key cannot be probed."""

    slug, title = "credential-invalid", "凭证无效、已过期或已吊销"


class PurposeUnknownError(WindowError):
    status, slug, title = 400, "purpose-unknown", "未知的用途"


class PurposeNotAllowedError(WindowError):
    status, slug, title = 403, "purpose-not-allowed", "该凭证无权用于此用途"


class CaseIdMissingError(WindowError):
    status, slug, title = 400, "case-id-missing", "缺少受理编号"


class CaseIdInvalidError(CaseIdMissingError):
    slug, title = "case-id-invalid", "受理编号格式无效"


class GrantRequiredError(WindowError):
    status, slug, title = 403, "grant-required", "此用途需要居民扫码授权"


class GrantInvalidError(GrantRequiredError):
    """Forged, malformed, expired or issued for another citizen or purpose."""

    slug, title = "grant-invalid", "居民授权无效或已过期"


class InvalidQueryError(WindowError):
    status, slug, title = 422, "invalid-query", "查询参数无效"


class SearchTooBroadError(InvalidQueryError):
    slug, title = "search-too-broad", "查询条件不足"


class BodyInvalidError(WindowError):
    status, slug, title = 422, "invalid-body", "请求内容无效"


class BodyTooLargeError(BodyInvalidError):
    status, slug, title = 413, "body-too-large", "请求内容过大"


class NotFoundError(WindowError):
    """Nothing visible to this caller: the same answer whether absent, hidden or out of jurisdiction."""

    status, slug, title = 404, "not-found", "未找到"
    outcome = "not_found"


class RateLimitedError(WindowError):
    status, slug, title = 429, "rate-limited", "请求过于频繁"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class ReadModelUnavailableError(WindowError):
    status, slug, title = 503, "read-model-unavailable", "数据服务暂不可用"
    outcome = "error"


class AuditUnavailableError(WindowError):
    """The audit event could be written nowhere: the read is refused (fail closed)."""

    status, slug, title = 503, "audit-unavailable", "审计记录无法写入，拒绝查询"
    outcome = "error"


class PolicyError(HubError):
    """The purposes file cannot be used (unknown field or mode, health facts outside 医疗卫生)."""


class CredentialStoreError(HubError):
    """A credential command names a credential that does not exist, or bad jurisdiction/purposes."""


def problem_body(exc: WindowError, *, instance: str, request_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + exc.slug,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "instance": instance,
    }
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in exc.extra.items() if k not in body})
    return body


async def window_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The one mapping of window errors to problem+json responses."""
    if not isinstance(exc, WindowError):  # registered for WindowError only; be safe anyway
        exc = ReadModelUnavailableError("internal error")
    request_id = getattr(request.state, "request_id", None)
    if exc.status >= 500:
        logger.warning("%s %s refused (%s): %s", request.method, request.url.path, exc.slug, exc.detail)
    headers = dict(exc.headers())
    if request_id:
        headers["X-Request-Id"] = request_id
    return JSONResponse(problem_body(exc, instance=request.url.path, request_id=request_id),
                        status_code=exc.status, headers=headers, media_type=PROBLEM_JSON)
