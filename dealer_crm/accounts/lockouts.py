"""Login lockouts (django-axes) in the admin, in the store's language.

django-axes ships no Chinese catalogue. Its labels that the admin shows are marked here, so the
project's catalogue translates them; the app itself gets a name of ours.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

LABELS = [
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("Access Attempt"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("GET Data"), gettext_noop("POST Data"),
    gettext_noop("Failed Logins"), gettext_noop("Form Data"), gettext_noop("Meta Data"), gettext_noop("Locked Out"),
]


class LockoutsConfig(AxesAppConfig):
    verbose_name = _("Login lockouts")
