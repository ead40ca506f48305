from datetime import date

from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job


@daily_job("accounts.clear_expired_sessions", label=_("Clear expired sessions"), order=900)
def clear_expired_sessions(*, on: date) -> dict[str, int]:
    """Delete sessions that expired (idle logouts leave them behind). A second run deletes nothing."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return {"deleted": deleted}
