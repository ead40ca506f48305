from datetime import date

from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services import duplicates_find


@daily_job("customers.find_duplicates", label=_("Find possible duplicate customers"), order=50)
def find_duplicates(*, on: date) -> dict[str, int]:
    return duplicates_find(on=on)
