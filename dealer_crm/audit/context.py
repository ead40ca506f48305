"""Who is acting and from where, for the audit log, without passing the request everywhere."""

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None
    user_agent: str


current_request: ContextVar[RequestContext | None] = ContextVar("audit_current_request", default=None)


def client_ip(request) -> str | None:
    """The browser's address. Behind the proxies named in TRUSTED_PROXIES, REMOTE_ADDR is a proxy:
    the client is then the right-most address in X-Forwarded-For that is not a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(settings.TRUSTED_PROXIES)
    if remote not in trusted:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            return address
    return remote


def request_context_from(request) -> RequestContext:
    return RequestContext(ip_address=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])
