"""SMS templates (短信模板): the list by purpose with what the current gateway can send, the editor
with its live preview and length counter, and switching a template off (never deleting it: the
outbox and the bulk sends keep pointing at it, and its history stays)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealer_crm.access import get_for_user, require_perm

from .. import selectors, services, texts
from ..bulk_forms import date_value as bulk_date_value
from ..forms import SmsTemplateForm, approved_code, gateway_label, sendable
from ..models import Purpose, SmsTemplate

VIEW, ADD, CHANGE = "messaging.view_smstemplate", "messaging.add_smstemplate", "messaging.change_smstemplate"


def _get_template_for_user(user, pk: int, *, perm: str = VIEW) -> SmsTemplate:
    return get_for_user(user, SmsTemplate.objects.all(), perm=perm, pk=pk)


@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    """Templates by purpose. On a gateway that sends only approved templates, a template without
    its id there is marked, and a purpose with no sendable template says it cannot be sent."""
    require_perm(request.user, VIEW)
    templates = list(selectors.sms_templates())
    groups = []
    for purpose, label in Purpose.choices:
        mine = [t for t in templates if t.purpose == purpose]
        for template in mine:
            template.code_here = approved_code(template)
            template.sendable = sendable(template)
        groups.append({"purpose": purpose, "label": label, "templates": mine,
                       "blocked": not any(t.sendable for t in mine)})
    return render(request, "messaging/template_list.html", {
        "groups": groups, "gateway": settings.SMS_GATEWAY, "gateway_label": gateway_label(),
        "free_text": approved_code(SmsTemplate()) is None,
        "can_add": request.user.has_perm(ADD), "can_change": request.user.has_perm(CHANGE),
    })


def _editor(request: HttpRequest, form: SmsTemplateForm, template: SmsTemplate | None) -> HttpResponse:
    customer = (selectors.preview_customers(limit=1) or [None])[0]
    return render(request, "messaging/template_form.html", {
        "form": form, "template": template, "variables": list(texts.VARIABLES.items()),
        "signature": texts.signature(), "gateway_label": gateway_label(),
        "changes": selectors.template_changes(template=template) if template is not None else [],
        "preview": _preview(text=form["text"].value() or "", purpose=form["purpose"].value() or "",
                            customer=customer, date_value="", user=request.user),
    })


def _saved(request: HttpRequest, form: SmsTemplateForm) -> SmsTemplate | None:
    """The template of a valid form, saved by the service; None with the form's errors otherwise."""
    if not form.is_valid():
        return None
    try:
        return services.template_save(template=form.instance, by=request.user)
    except ValidationError as error:  # what the form could not know (a key taken meanwhile)
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return None


@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, ADD)
    form = SmsTemplateForm(request.POST or None)
    template = _saved(request, form) if request.method == "POST" else None
    if template is not None:
        messages.success(request, _("Template “%(name)s” added.") % {"name": template.name})
        return redirect("messaging:template_list")
    return _editor(request, form, None)


@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_template_for_user(request.user, pk, perm=CHANGE)
    form = SmsTemplateForm(request.POST or None, instance=template)
    saved = _saved(request, form) if request.method == "POST" else None
    if saved is not None:
        messages.success(request, _("Template “%(name)s” saved.") % {"name": saved.name})
        return redirect("messaging:template_list")
    return _editor(request, form, template)


@require_POST
def template_switch(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a template off (it is no longer offered, nothing more is sent with it) or on again."""
    template = _get_template_for_user(request.user, pk, perm=CHANGE)
    template.active = request.POST.get("active") == "1"
    template.updated_by = request.user
    template._history_user = request.user
    template.save(update_fields=["active", "updated_by", "updated_at"])
    if template.active:
        messages.success(request, _("Template “%(name)s” is in use again.") % {"name": template.name})
    else:
        messages.success(request, _("Template “%(name)s” is switched off: it is no longer offered.")
                         % {"name": template.name})
    return redirect("messaging:template_list")


# --- the live preview ------------------------------------------------------------------------
def _preview(*, text: str, purpose: str, customer, date_value: str, user) -> dict:
    """The text as the chosen customer reads it, with the signature and (marketing) the opt-out
    line, and what it costs. A text with a problem shows the problem instead."""
    values = {}
    if customer is not None:
        values = selectors.first_recipient_values(customer_id=customer.pk)
    values = {**values, "store": settings.SMS_STORE_NAME, "date": date_value or bulk_date_value(timezone.localdate())}
    problem = ""
    try:
        texts.validate_template_text(text)
    except Exception as error:  # a ValidationError: shown as the form would show it
        problem = " ".join(getattr(error, "messages", [str(error)]))
    body = services.message_text(template=None, text=text, purpose=purpose, values=values) if text.strip() else ""
    characters, parts = texts.length(body)
    return {"customer": customer, "body": body, "signature": texts.signature(), "characters": characters,
            "parts": parts, "problem": problem, "marketing": purpose == Purpose.MARKETING,
            "opt_out": texts.opt_out_line(), "over_one": characters > texts.SINGLE_PART,
            "can_pick": user.has_perm(selectors.recipient_view_perm())}


@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the preview and counter for the text being typed, with the chosen customer."""
    require_perm(request.user, VIEW)
    customer = None
    if request.user.has_perm(selectors.recipient_view_perm()):
        chosen = request.POST.get("preview_customer", "")
        found = selectors.preview_customers(query=chosen, limit=1) if chosen.isdigit() else []
        customer = (found or selectors.preview_customers(limit=1) or [None])[0]
    context = _preview(text=request.POST.get("text", "")[:500], purpose=request.POST.get("purpose", ""),
                       customer=customer, date_value="", user=request.user)
    return render(request, "messaging/partials/template_preview.html", {"preview": context})


@require_GET
def template_preview_customers(request: HttpRequest) -> HttpResponse:
    """htmx: customers whose name has what was typed (or the newest), to preview the text with."""
    require_perm(request.user, VIEW)
    require_perm(request.user, selectors.recipient_view_perm())
    query = request.GET.get("q", "").strip()[:30]
    return render(request, "messaging/partials/template_preview_customers.html", {
        "customers": selectors.preview_customers(query=query), "query": query})


urlpatterns = [
    path("templates/", template_list, name="template_list"),
    path("templates/new/", template_new, name="template_new"),
    path("templates/preview/", template_preview, name="template_preview"),
    path("templates/preview/customers/", template_preview_customers, name="template_preview_customers"),
    path("templates/<int:pk>/", template_edit, name="template_edit"),
    path("templates/<int:pk>/switch/", template_switch, name="template_switch"),
]
