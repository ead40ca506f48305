"""Who is acting and from where, for the audit log, without passing the request everywhere."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


current_request: ContextVar[RequestContext | None] = ContextVar("audit_current_request", default=None)


def request_context_from(request) -> RequestContext:
    # REMOTE_ADDR is the proxy's address behind a proxy; gunicorn's --forwarded-allow-ips sets it right.
    return RequestContext(
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
