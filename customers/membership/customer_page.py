"""The customer page's 会员 section (customers/sections.py), registered from MembershipConfig.ready():
a member's card number, tier and the benefits staff should give them, the usable and cumulative
balances, how far the next tier is, when the points expire, with links to the statement and to
redeem; for a customer who is not a member, the 入会 button. One query, whatever the member's
history (the next tier is a subquery of it); none for a reader without the right to see members."""

from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from customers.sections import section_register

from .models import Member, Tier
from .views.display import benefit_lines, expires_on, expiring_soon


def membership_context(*, customer, user, now: datetime) -> dict:
    following = Tier.objects.filter(threshold__gt=OuterRef("cumulative")).order_by("threshold")
    member = (Member.objects.filter(customer_id=customer.pk).select_related("tier")
              .annotate(next_tier_name=Subquery(following.values("name")[:1]),
                        next_tier_threshold=Subquery(following.values("threshold")[:1]))
              .first())
    context = {"member": member, "may_enrol": user.has_perm("membership.add_member"),
               "may_redeem": user.has_perm("membership.redeem_points")}
    if member is not None:
        today = timezone.localdate(now)
        expiry = expires_on(member)
        context.update({
            "benefits": benefit_lines(member.tier),
            "to_next": (member.next_tier_threshold - member.cumulative) if member.next_tier_name else None,
            "expires_on": expiry,
            "expiring": expiring_soon(expiry, today),
        })
    return context


def register() -> None:
    section_register("membership", title=pgettext_lazy("customer page section", "Membership"), icon="bi-award",
                     template="membership/partials/customer_section.html", context=membership_context,
                     perm="membership.view_member", order=30)
