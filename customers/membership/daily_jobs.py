"""Membership's daily jobs (dealer_crm.jobs.registry), after the archive's and retention's: first the
points of the repair orders that came in (400), then the expiry of the points of members without a
paid visit for settings.POINTS_EXPIRY_MONTHS months (410) — in that order, so that a member whose
visit was imported yesterday does not lose points that visit keeps. Each is idempotent: a second run
of the same day creates nothing (the one-earning-per-repair-order index; nothing left to expire)."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from dealer_crm.jobs.registry import daily_job

from .services import points_earn, points_expire


@daily_job("membership.earn", label=_("Earn the members' points of the new repair orders"), order=400)
def earn(*, on: date) -> dict[str, int]:
    counts = points_earn(on=on)
    return {"created": counts["created"], "points": counts["points"]}


@daily_job("membership.expire", label=_("Expire the points of members without a paid visit"), order=410)
def expire(*, on: date) -> dict[str, int]:
    counts = points_expire(on=on)
    return {"created": counts["created"], "points": counts["points"]}
