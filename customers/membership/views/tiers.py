"""Tiers (会员等级) and points rules (积分规则): the cumulative points each tier starts from and its
benefits (shown to staff on the customer page), and the points a yuan of a paid visit earns by visit
type. A change counts from then on: a member's tier follows their cumulative points at their next
change of points, and a rule counts for the visits earned after it (the earn job's next run)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from customers.models import ServiceVisit
from dealer_crm.access import require_perm

from .. import selectors, services
from ..forms import PointsRuleForm, TierForm
from ..models import PointsRule, Tier
from .display import benefit_lines

VIEW, ADD, CHANGE = "membership.view_tier", "membership.add_tier", "membership.change_tier"
RULE_VIEW, RULE_ADD, RULE_CHANGE = ("membership.view_pointsrule", "membership.add_pointsrule",
                                    "membership.change_pointsrule")


@require_GET
def tier_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    tiers = list(selectors.tiers_with_members())
    for tier, following in zip(tiers, tiers[1:] + [None], strict=True):
        tier.until = following.threshold - 1 if following else None
        tier.benefit_lines = benefit_lines(tier)
    rules = None
    if request.user.has_perm(RULE_VIEW):
        by_kind = {rule.visit_kind: rule for rule in PointsRule.objects.all()}
        rules = [{"kind": kind, "label": label, "rule": by_kind.get(kind)} for kind, label in _earning_kinds()]
    return render(request, "membership/tier_list.html", {"tiers": tiers, "rules": rules})


def _earning_kinds() -> list[tuple[str, str]]:
    """The visit types a rule may make earn: an internal order (内部单) never does."""
    return [(kind, label) for kind, label in ServiceVisit.Kind.choices if kind != ServiceVisit.Kind.INTERNAL]


@require_http_methods(["GET", "POST"])
def tier_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_perm(request.user, VIEW)
    if pk is None:
        require_perm(request.user, ADD)
        tier = Tier()
    else:
        require_perm(request.user, CHANGE)
        tier = get_object_or_404(Tier, pk=pk)
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        services.tier_save(tier=form.save(commit=False), by=request.user)
        messages.success(request, _("The tier “%(name)s” is saved. Members reach it by their cumulative points.")
                         % {"name": form.instance.name})
        return redirect("membership:tier_list")
    return render(request, "membership/tier_form.html", {"form": form, "tier": tier},
                  status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, kind: str) -> HttpResponse:
    """The points a yuan of one visit type earns (the rule is made the first time it is saved)."""
    require_perm(request.user, RULE_VIEW)
    labels = dict(_earning_kinds())
    if kind not in labels:
        raise Http404
    rule = PointsRule.objects.filter(visit_kind=kind).first()
    require_perm(request.user, RULE_CHANGE if rule else RULE_ADD)
    rule = rule or PointsRule(visit_kind=kind)
    form = PointsRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("%(kind)s: %(points)s points a yuan from the next visits earned.")
                         % {"kind": labels[kind], "points": form.instance.points_per_yuan})
        return redirect("membership:tier_list")
    return render(request, "membership/rule_form.html", {"form": form, "rule": rule, "kind_label": labels[kind]},
                  status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("tiers/", tier_list, name="tier_list"),
    path("tiers/new/", tier_edit, name="tier_create"),
    path("tiers/<int:pk>/", tier_edit, name="tier_edit"),
    path("rules/<str:kind>/", rule_edit, name="rule_edit"),
]
