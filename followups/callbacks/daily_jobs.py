"""The callback centre's daily jobs (dealer_crm.jobs.registry): beat and run_daily_jobs run them.

The expiry runs before the build (order 200, then 210), after the archive's own jobs: what expired
leaves the queue before the day's new callbacks join it. Both are idempotent. Catching up a missed
day, run_daily_jobs calls the build with that day's date: the build queues what came due on it and
has not expired by now.
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services.building import callbacks_build, callbacks_expire


@daily_job("callbacks.expire", label=_("Close expired callbacks"), order=200)
def expire_callbacks(*, on: date) -> dict[str, int]:
    # What has expired by now, whatever day is being run: an expiry is a moment, not a date.
    return {"expired": callbacks_expire()}


@daily_job("callbacks.build", label=_("Build the day's callback queues"), order=210)
def build_callbacks(*, on: date) -> dict[str, int]:
    return callbacks_build(on=on)
