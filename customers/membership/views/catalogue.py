"""The rewards catalogue (积分兑换目录): what points buy, an accessory (精品, counted in stock) or
labour hours (工时, no stock). A reward is switched off, never deleted: the statements that name it
keep it. Whoever redeems reads the catalogue; the supervisor adds, edits and switches off."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import require_perm

from .. import services
from ..forms import RewardForm
from ..models import Reward

VIEW, ADD, CHANGE = "membership.view_reward", "membership.add_reward", "membership.change_reward"


@require_GET
def reward_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, VIEW)
    rewards = list(Reward.objects.order_by("-active", "kind", "points", "name"))
    return render(request, "membership/reward_list.html", {
        "rewards": rewards, "in_use": sum(reward.active for reward in rewards)})


@require_http_methods(["GET", "POST"])
def reward_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_perm(request.user, VIEW)
    if pk is None:
        require_perm(request.user, ADD)
        reward = Reward(kind=Reward.Kind.ACCESSORY)
    else:
        require_perm(request.user, CHANGE)
        reward = get_object_or_404(Reward, pk=pk)
    form = RewardForm(request.POST or None, instance=reward)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.reward_save(reward=form.save(commit=False), by=request.user,
                                         stock_shown=form.cleaned_data["stock_shown"])
        except services.PointsError as error:
            form.add_error(None, error.messages[0])
            # The form now shows the stock as it is, so a second save is against it.
            form.data = form.data.copy()
            current = Reward.objects.values_list("stock", flat=True).get(pk=reward.pk)
            form.data["stock_shown"] = "" if current is None else str(current)
        else:
            messages.success(request, _("The reward “%(name)s” is saved.") % {"name": saved.name})
            return redirect("membership:reward_list")
    return render(request, "membership/reward_form.html", {"form": form, "reward": reward},
                  status=400 if request.method == "POST" else 200)


@require_POST
def reward_switch(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a reward off (no longer offered when redeeming) or back on."""
    require_perm(request.user, VIEW)
    require_perm(request.user, CHANGE)
    reward = get_object_or_404(Reward, pk=pk)
    active = request.POST.get("active") == "1"
    Reward.objects.filter(pk=reward.pk).update(active=active)
    if active:
        messages.success(request, _("“%(name)s” is offered again.") % {"name": reward.name})
    else:
        messages.success(request, _("“%(name)s” is switched off: it is no longer offered; past redemptions keep it.")
                         % {"name": reward.name})
    return redirect("membership:reward_list")


urlpatterns = [
    path("rewards/", reward_list, name="reward_list"),
    path("rewards/new/", reward_edit, name="reward_create"),
    path("rewards/<int:pk>/", reward_edit, name="reward_edit"),
    path("rewards/<int:pk>/switch/", reward_switch, name="reward_switch"),
]
