from dealer_crm.access import get_for_user

from .models import AuditEvent


def get_audit_event_for_user(user, pk: int) -> AuditEvent:
    return get_for_user(user, AuditEvent.objects.select_related("actor"), perm="audit.view_auditevent", pk=pk)
