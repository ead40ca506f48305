from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .context import current_request, request_context_from
from .models import AuditEvent
from .services import audit_record


def _with_request(request, **kwargs) -> None:
    # Login signals can fire before AuditContextMiddleware ran (e.g. the test client's login).
    token = current_request.set(request_context_from(request)) if request is not None else None
    try:
        audit_record(**kwargs)
    finally:
        if token is not None:
            current_request.reset(token)


@receiver(user_logged_in, dispatch_uid="audit.login")
def record_login(sender, request, user, **kwargs) -> None:
    _with_request(request, actor=user, action=AuditEvent.Action.LOGIN)


@receiver(user_logged_out, dispatch_uid="audit.logout")
def record_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        _with_request(request, actor=user, action=AuditEvent.Action.LOGOUT)


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    _with_request(
        request,
        actor=None,
        actor_name=str(credentials.get("username", "")),
        action=AuditEvent.Action.LOGIN_FAILED,
    )
