from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    """The callback centre (回访): the daily queues, the agents' calls and answers, and the problems
    customers raise until they are satisfied."""

    name = "followups.callbacks"
    label = "callbacks"
    verbose_name = _("Callback centre")
    default_auto_field = "django.db.models.BigAutoField"
