from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import services
from ..access import get_customer_for_user, get_family_member_for_user
from ..forms import FamilyMemberForm
from ..models import FamilyMember
from .meanwhile import note_kept


@require_http_methods(["GET", "POST"])
def family_member_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_pk, perm="customers.add_familymember",
                                     include_merged=True)
    form = FamilyMemberForm(request.POST or None)
    context = {"customer": customer, "title": _("Add a family member")}
    if customer.merged_into_id:  # an old tab: the member goes to the record it was merged into, if confirmed
        return render(request, "customers/simple_form.html", {
            **context, "form": form.as_typed(), "merged_into": customer.merged_into,
            "action": reverse("customers:family_add", args=[customer.merged_into_id])})
    if request.method == "POST" and form.is_valid():
        services.family_member_save(customer=customer, by=request.user, **form.service_fields())
        messages.success(request, _("Family member added."))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/simple_form.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def family_member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_family_member_for_user(request.user, pk, perm="customers.change_familymember")
    # Its own copy, as in customer_edit. A member moved with a merge meanwhile is still the same person:
    # the edit applies to them, now in the record they moved to.
    form = FamilyMemberForm(request.POST or None, instance=FamilyMember.objects.get(pk=member.pk))
    if request.method == "POST" and form.is_valid():
        outcome = services.family_member_update(member=member, by=request.user, base=form.opened_base(),
                                                **form.service_fields())
        if outcome.saved:
            messages.success(request, _("Family member saved."))
            note_kept(request, outcome)
            return redirect("customers:detail", pk=outcome.record.customer_id)
        form = form.second_try(outcome, instance=FamilyMember.objects.get(pk=member.pk))
    return render(request, "customers/simple_form.html", {"form": form, "customer": member.customer,
                                                          "title": _("Edit family member")})


@require_http_methods(["GET", "POST"])
def family_member_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_family_member_for_user(request.user, pk, perm="customers.delete_familymember")
    if request.method == "POST":
        services.family_member_remove(member=member, by=request.user)
        messages.success(request, _("%(name)s was removed from the family.") % {"name": member.name})
        return redirect("customers:detail", pk=member.customer_id)
    return render(request, "customers/confirm_delete.html", {
        "customer": member.customer, "object": member,
        "question": _("Remove %(name)s from %(customer)s's family?") % {"name": member, "customer": member.customer},
    })
