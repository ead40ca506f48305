from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    """The callback centre and retention: SSI/CSI callbacks, feedback, complaints, reminders, appointments."""

    name = "followups"
    verbose_name = _("Callbacks and retention")
