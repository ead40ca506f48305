from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "dealer_crm.jobs"
    label = "jobs"
    verbose_name = _("Daily jobs")

    def ready(self) -> None:
        # Each app's daily jobs live in its `daily_jobs` module and register themselves on import.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("daily_jobs")
