from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    """The callback centre (回访): the daily queues, the agents' calls and answers, and the problems
    customers raise until they are satisfied."""

    name = "followups.callbacks"
    label = "callbacks"
    verbose_name = _("Callback centre")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.timeline import messages_register

        from . import panels, problem_timeline, timeline

        messages_register(timeline.MESSAGES)
        messages_register(problem_timeline.MESSAGES)
        panels.register()
