from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import services
from ..access import get_customer_for_user, get_family_member_for_user
from ..forms import FamilyMemberForm


@require_http_methods(["GET", "POST"])
def family_member_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_customer_for_user(request.user, customer_pk, perm="customers.add_familymember")
    form = FamilyMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.family_member_save(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, _("Family member added."))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/simple_form.html", {"form": form, "customer": customer,
                                                          "title": _("Add a family member")})


@require_http_methods(["GET", "POST"])
def family_member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_family_member_for_user(request.user, pk, perm="customers.change_familymember")
    form = FamilyMemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        services.family_member_save(customer=member.customer, member=member, by=request.user, **form.cleaned_data)
        messages.success(request, _("Family member saved."))
        return redirect("customers:detail", pk=member.customer_id)
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
