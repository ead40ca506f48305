"""Writing the audit log. Every security-relevant action calls `audit_record`."""

from typing import Any

from django.db import models

from .context import current_request
from .models import AuditEvent


def audit_record(
    *,
    actor,
    action: AuditEvent.Action,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """Add one event. The IP address and browser come from the current request, if any."""
    context = current_request.get()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(actor.get_username() if actor is not None and actor.pk else actor_name)[:150],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        ip_address=context.ip_address if context else None,
        user_agent=context.user_agent if context else "",
        detail=detail or {},
    )
