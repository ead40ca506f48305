"""What the membership pages and the customer page's 会员 section work out to show a member: when
their points expire, their tier's benefits line by line, how far the next tier is."""

import calendar
import re
from datetime import date


from ..models import Member, Tier

# "Expiring soon": points that expire within this many days unless a paid visit comes first.
EXPIRING_SOON_DAYS = 60


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day when it has none."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expires_on(member: Member) -> date | None:
    """The day the member's usable points expire unless a paid visit comes first, as the lists show it
    without reading the ledger: the expiry months (settings.POINTS_EXPIRY_MONTHS) after the last paid
    visit, or after joining before the first one; None with nothing to expire. (A credit since the last
    paid visit expires later: the member's page reads selectors.points_expiry for the exact forecast.)"""
    from ..services import expiry_day

    if member.usable <= 0:
        return None
    return expiry_day(since=member.last_paid_visit_on or member.joined_on)


def expiring_soon(expiry: date | None, today: date) -> bool:
    return expiry is not None and (expiry - today).days <= EXPIRING_SOON_DAYS


def benefit_lines(tier: Tier | None) -> list[str]:
    """A tier's benefits one by one, as the supervisor typed them: a line each, or separated by ；."""
    return [line.strip() for line in re.split(r"[\n；;]", tier.benefits if tier else "") if line.strip()]


def tier_progress(member: Member, tiers: list[Tier]) -> dict:
    """The next tier (of `tiers`, by threshold), the cumulative points still to earn for it, and how
    far the member is from their tier's threshold to it (percent)."""
    following = next((tier for tier in tiers if tier.threshold > member.cumulative), None)
    progress = {"next": following, "to_next": following.threshold - member.cumulative if following else 0,
                "percent": 100}
    if following is not None:
        start = member.tier.threshold if member.tier else 0
        span = max(following.threshold - start, 1)
        progress["percent"] = max(0, min(100, (member.cumulative - start) * 100 // span))
    return progress
